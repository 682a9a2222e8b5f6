"""No query parameter of an admin changelist answers 500.

The parameter names come from each changelist itself (its filters' expected parameters,
the date hierarchy, search, ordering and paging), plus lookups any admin URL may carry
(`id__in`, `field__regex`). A bad value gets the admin's own answer to a bad lookup (a
redirect to the unfiltered list with `?e=1`), a 400, or is ignored; never a 500.
"""

import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from curation.models import Article
from curation.services.editorial import publish_article
from curation.tests.factories import make_article, make_user
from curation.tests.hostile_input import SWEEP_VALUES, fuzz_settings, ids, query_pairs

pytestmark = pytest.mark.django_db

CURATION_ADMINS = [
    model_admin for model, model_admin in admin.site._registry.items() if model._meta.app_label == "curation"
]
# Lookups Django's admin lets through on any changelist (local fields, the primary key).
EXTRA_LOOKUPS = {"id__in", "id__gt", "pk", "o", "p", "q", "all", "e", "_facets"}


def changelist_url(model_admin):
    opts = model_admin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def parameter_names(model_admin, superuser):
    """What this changelist reads from the query string, asked of the changelist itself."""
    request = RequestFactory().get(changelist_url(model_admin))
    request.user = superuser
    changelist = model_admin.get_changelist_instance(request)
    names = set(EXTRA_LOOKUPS)
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day", "gte", "lt"))
    for field in model_admin.model._meta.concrete_fields:
        if field.get_internal_type() in ("CharField", "TextField"):
            names.add(f"{field.name}__regex")
    return names


@pytest.fixture
def staff(superuser):
    editor = make_user(role="editor")
    article = make_article(title="An article", topics=["Science"])
    publish_article(article=article, user=editor)
    client = Client()
    client.force_login(superuser)
    return client


def get_below_500(client, url, pairs):
    query = urlencode(pairs)
    response = client.get(f"{url}?{query}" if query else url)
    assert response.status_code < 500, (url, pairs, response.status_code)
    return response


@pytest.mark.parametrize("model_admin", CURATION_ADMINS, ids=lambda a: a.model._meta.model_name)
def test_changelist_parameters(staff, superuser, model_admin):
    url = changelist_url(model_admin)
    names = parameter_names(model_admin, superuser)

    @fuzz_settings
    @given(pairs=query_pairs(names))
    def check(pairs):
        get_below_500(staff, url, pairs)

    check()


@pytest.mark.filterwarnings("ignore:DateTimeField Article.published_at received a naive datetime")
def test_article_changelist_sweep(staff, superuser):
    article_admin = admin.site._registry[Article]
    url = changelist_url(article_admin)
    names = {name for name in parameter_names(article_admin, superuser) if not name.endswith("__regex")}
    for name in sorted(names):
        for value in SWEEP_VALUES:
            get_below_500(staff, url, [(name, value)])


@pytest.mark.parametrize(
    "query",
    [
        {"id__in": "9" * 30},
        {"id__in": f"1,{2**63}"},
        {"published_at__year": "9" * 30},
        {"published_at__year": "2024", "published_at__month": "99"},
        {"provider": "²"},
        {"topic": "9" * 30},
        {"p": "9" * 30},
        {"o": "99.-1.x"},
    ],
)
def test_known_bad_lookups_go_back_to_the_list_with_the_error_flag(staff, query):
    response = staff.get(changelist_url(admin.site._registry[Article]), query)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")
        assert staff.get(response["Location"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_bad_regular_expression_is_a_bad_lookup_not_a_500(superuser):
    # Transactional: on PostgreSQL the refused statement would spoil a test transaction.
    make_article(title="An article")
    client = Client()
    client.force_login(superuser)
    url = changelist_url(admin.site._registry[Article])
    response = client.get(url, {"title__regex": "(unclosed"})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("model_admin", CURATION_ADMINS, ids=lambda a: a.model._meta.model_name)
def test_change_page_for_an_id_beyond_64_bits(staff, model_admin):
    opts = model_admin.model._meta
    response = staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=["9" * 20]))
    assert response.status_code in (302, 404)


# --- action posts: the rows an action names -----------------------------------------------

EVERY_ADMIN = list(admin.site._registry.values())  # ours, django.contrib.auth's, django-axes'


@pytest.mark.parametrize("model_admin", EVERY_ADMIN, ids=lambda a: a.model._meta.label)
@pytest.mark.parametrize("bad", ["abc", "²", "", "1.5", "9" * 30, str(2**63), "٣", "３", "1_0", " 1", "+1", "01"])
def test_an_action_naming_a_row_that_cannot_exist_is_refused_whole(staff, superuser, model_admin, bad):
    url = changelist_url(model_admin)
    real = model_admin.model._default_manager.order_by("pk").first()
    selected = [str(real.pk), bad] if real is not None else [bad]
    response = staff.post(
        url, {"action": "delete_selected", ACTION_CHECKBOX_NAME: selected, "post": "yes"}, follow=True
    )
    assert response.status_code == 200
    request = RequestFactory().get(url)
    request.user = superuser
    if "delete_selected" in model_admin.get_actions(request):  # read-only admins offer no action
        assert "cannot exist; nothing was done" in " ".join(str(m) for m in response.context["messages"])
    if real is not None:
        assert model_admin.model._default_manager.filter(pk=real.pk).exists()


@fuzz_settings
@given(
    action=st.sampled_from(["publish_selected", "reject_selected", "unpublish_selected", "schedule_selected", "x"]),
    selected=st.lists(ids, max_size=4),
)
def test_article_actions_with_generated_selections(staff, action, selected):
    article = Article.objects.order_by("pk").first()
    before = (article.state, article.version)
    response = staff.post(
        changelist_url(admin.site._registry[Article]),
        {"action": action, ACTION_CHECKBOX_NAME: [str(article.pk), *selected]},
    )
    assert response.status_code < 500, (action, selected)
    article.refresh_from_db()
    # Refused whole: a value other than an integer written as the list writes ids ("0" and
    # "-1" are such integers: they name no row, as an id deleted since does).
    if any(not (re.fullmatch(r"-?[0-9]+", value) and value == str(int(value)) and -(2**63) <= int(value) < 2**63) for value in selected):
        assert (article.state, article.version) == before  # refused whole, not half done


# Every registered admin with a date hierarchy, whichever app registered it (django-axes'
# logs too): Django builds a datetime from `?<field>__year=` and let OverflowError through.
DATED_ADMINS = [model_admin for model_admin in admin.site._registry.values() if model_admin.date_hierarchy]


@pytest.mark.parametrize("model_admin", DATED_ADMINS, ids=lambda a: a.model._meta.label_lower)
@pytest.mark.parametrize("part", ["year", "month", "day"])
def test_a_date_hierarchy_value_no_date_can_hold_goes_back_to_the_list(staff, model_admin, part):
    url = changelist_url(model_admin)
    field = model_admin.date_hierarchy
    query = {f"{field}__year": "2024", f"{field}__month": "1", f"{field}__day": "1"}
    response = staff.get(url, {**query, f"{field}__{part}": "9" * 30})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
    assert staff.get(response["Location"]).status_code == 200
