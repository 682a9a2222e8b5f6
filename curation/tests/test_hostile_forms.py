"""No form post answers 500: every curator form and the login form, with generated junk
(missing fields, repeated fields, numbers beyond 64 bits, negative, digits of other scripts,
any text), as a plain form post and as an in-place (JSON) request. A refused post is a 4xx
that says why (JSON with an error for in-place requests); nothing half-done is stored."""

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from curation.forms import AttachForm, BulkActionForm, CompleteForm, EditForm, TransitionForm
from curation.models import Article, EditorialAction
from curation.tests.factories import client_for, make_article, make_body_only, make_user
from curation.tests.hostile_input import form_data, fuzz_settings, ids, values

pytestmark = pytest.mark.django_db

EXTRA = {"next", "compact"}


@pytest.fixture
def desk(db):
    client = client_for(make_user(role="editor"))
    article = make_article(title="A story", topics=["Science"])
    body_only = make_body_only(title="A body", body="A body without metadata.")
    return {"client": client, "article": article, "body_only": body_only}


def post_below_500(client, url, pairs, *, in_place):
    data = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    headers = {"Accept": "application/json"} if in_place else {}
    response = client.post(url, data, headers=headers)
    assert response.status_code < 500, (url, pairs, response.status_code)
    if in_place and response.status_code >= 400 and response.status_code != 404:
        assert response.json()["error"], (url, pairs)
    return response


def audit_matches_versions():
    """Every version bump has its audit row: nothing was written half-way."""
    for article in Article.objects.all():
        assert EditorialAction.objects.filter(article=article).count() >= article.version - 1


@fuzz_settings
@given(
    action=st.sampled_from(["publish", "unpublish", "reject", "restore"]),
    pairs=form_data(set(TransitionForm.base_fields) | EXTRA),
    in_place=st.booleans(),
)
def test_transition_posts(desk, action, pairs, in_place):
    for article in (desk["article"], desk["body_only"]):
        post_below_500(desk["client"], f"/curate/articles/{article.pk}/{action}/", pairs, in_place=in_place)
    audit_matches_versions()


@fuzz_settings
@given(
    pairs=form_data(set(BulkActionForm.base_fields) | EXTRA),
    id_values=st.lists(ids, max_size=8),
    action=st.sampled_from(["publish", "reject", "restore", "unpublish", "", "merge", "²"]),
)
def test_bulk_posts(desk, pairs, id_values, action):
    pairs = [*pairs, ("action", action), *(("ids", value) for value in id_values)]
    post_below_500(desk["client"], "/curate/bulk/", pairs, in_place=False)
    audit_matches_versions()


@fuzz_settings
@given(pairs=form_data(set(EditForm.base_fields) | EXTRA), in_place=st.booleans())
def test_edit_posts(desk, pairs, in_place):
    post_below_500(desk["client"], f"/curate/articles/{desk['article'].pk}/edit/", pairs, in_place=in_place)
    audit_matches_versions()


@fuzz_settings
@given(pairs=form_data(set(CompleteForm.base_fields)), in_place=st.booleans())
def test_complete_posts(desk, pairs, in_place):
    post_below_500(desk["client"], f"/curate/articles/{desk['body_only'].pk}/complete/", pairs, in_place=in_place)
    audit_matches_versions()


@fuzz_settings
@given(pairs=form_data(set(AttachForm.base_fields)), target=st.lists(ids, max_size=3), in_place=st.booleans())
def test_attach_posts(desk, pairs, target, in_place):
    pairs = [*pairs, *(("target_id", value) for value in target)]
    post_below_500(desk["client"], f"/curate/articles/{desk['body_only'].pk}/attach/", pairs, in_place=in_place)
    audit_matches_versions()


@fuzz_settings
@given(username=values, password=values, next_url=values)
def test_login_posts(db, username, password, next_url):
    response = Client().post("/accounts/login/", {"username": username, "password": password, "next": next_url})
    assert response.status_code < 500


# --- the classes, named -----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["9" * 30, str(2**63), "-1", "²", "٣", "", "1.5"])
def test_a_transition_with_an_odd_version_is_refused_with_a_message(desk, version):
    article = desk["article"]
    response = desk["client"].post(
        f"/curate/articles/{article.pk}/publish/", {"expected_version": version}, headers={"Accept": "application/json"}
    )
    if version in ("", "٣"):  # no version: nothing to compare; "٣" is 3, a stale version
        assert response.status_code in (200, 409)
        return
    assert response.status_code == 400
    assert "reload the page" in response.json()["error"].lower()
    article.refresh_from_db()
    assert article.state == "new"


@pytest.mark.parametrize("bad", ["9" * 30, str(2**63), "-5", "²", "abc"])
def test_bulk_with_ids_no_database_can_hold_says_so(desk, bad):
    article = desk["article"]
    response = desk["client"].post(
        "/curate/bulk/", {"action": "reject", "ids": [str(article.pk), bad, str(article.pk)]}, follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert f"{bad} is not one of the available choices" in messages[0]
    article.refresh_from_db()
    assert article.state == "new"  # the whole request was refused, not half done


def test_bulk_with_repeated_ids_acts_once(desk, editor):
    article = desk["article"]
    response = desk["client"].post("/curate/bulk/", {"action": "reject", "ids": [article.pk] * 5}, follow=True)
    assert "1 item rejected" in [str(m) for m in response.context["messages"]][0]
    assert EditorialAction.objects.filter(article=article).count() == 1


@pytest.mark.parametrize("target", ["9" * 30, str(2**63), "-1", "²", "0"])
def test_attach_to_an_impossible_id_is_explained(desk, target):
    body_only = desk["body_only"]
    response = desk["client"].post(f"/curate/articles/{body_only.pk}/attach/", {"target_id": target})
    assert response.status_code == 400
    assert response.context["attach_form"].errors
    body_only.refresh_from_db()
    assert body_only.state == "new"
