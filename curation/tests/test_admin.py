"""The admin back office: actions through the editorial services, a changelist whose cost
does not grow with the table, and its filters. The change page and the smaller admins are
in test_admin_pages.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation.admin import facts as admin_facts
from curation.admin import large_tables
from curation.admin.articles import ArticleAdmin
from curation.db.base import DatabaseBackend
from curation.db.postgresql import PostgreSQLBackend
from curation.db.sqlite import SQLiteBackend
from curation.models import Article, EditorialAction, Provider
from curation.tests.factories import client_for, make_article, make_provider, make_topic, make_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:curation_article_changelist")


def run_action(client, action, articles, **extra):
    data = {"action": action, "_selected_action": [a.pk for a in articles], "index": 0, **extra}
    return client.post(CHANGELIST, data, follow=True)


def states(articles):
    return list(Article.objects.filter(pk__in=[a.pk for a in articles]).order_by("pk").values_list("state", flat=True))


# --- actions ---------------------------------------------------------------------------------

ACTION_CASES = [
    # action, starting state, resulting state, audit action
    ("publish_selected", Article.State.NEW, Article.State.PUBLISHED, "publish"),
    ("unpublish_selected", Article.State.PUBLISHED, Article.State.NEW, "unpublish"),
    ("reject_selected", Article.State.NEW, Article.State.REJECTED, "reject"),
    ("restore_selected", Article.State.REJECTED, Article.State.NEW, "restore"),
]


@pytest.mark.parametrize("who", ["staff_editor", "superuser"])
@pytest.mark.parametrize(("action", "start", "end", "audit"), ACTION_CASES)
def test_permitted_user_runs_each_action_through_the_service(request, who, action, start, end, audit):
    user = request.getfixturevalue(who)
    articles = [make_article(state=start), make_article(state=start)]
    untouched = make_article(state=start)

    response = run_action(client_for(user), action, articles)

    assert response.status_code == 200
    assert states(articles) == [end, end]
    assert Article.objects.get(pk=untouched.pk).state == start
    rows = EditorialAction.objects.filter(article__in=articles)
    assert sorted(rows.values_list("action", "via", "actor_id")) == [(audit, "admin", user.pk)] * 2
    assert all(a.version == 2 for a in Article.objects.filter(pk__in=[a.pk for a in articles]))
    assert "2 articles" in response.content.decode()


def test_articles_are_rejected_with_a_reason_from_the_admins_list(staff_editor, viewer_admin):
    # The admin's only "Reject" gave no reason, while the curator picks one from this list.
    client = client_for(staff_editor)
    page = client.get(CHANGELIST).content.decode()
    assert "Reject selected articles as “Duplicate”" in page
    assert "reject_as_other" not in page  # "Other" needs a note: given in the curator
    articles = [make_article(), make_article()]

    run_action(client, "reject_as_duplicate", articles)

    assert states(articles) == [Article.State.REJECTED] * 2
    assert set(Article.objects.filter(pk__in=[a.pk for a in articles]).values_list("rejection_code", flat=True)) == {
        "duplicate"
    }
    rows = EditorialAction.objects.filter(article__in=articles)
    assert sorted(rows.values_list("action", "reason_code", "via")) == [("reject", "duplicate", "admin")] * 2
    assert "reject_as_duplicate" not in viewer_admin.get(CHANGELIST).content.decode()
    run_action(viewer_admin, "reject_as_duplicate", [make_article()])
    assert EditorialAction.objects.count() == 2


@pytest.mark.parametrize(("action", "start", "end", "audit"), ACTION_CASES)
def test_viewer_is_not_offered_the_action_and_posting_it_changes_nothing(viewer_admin, action, start, end, audit):
    articles = [make_article(state=start), make_article(state=start)]

    page = viewer_admin.get(CHANGELIST)
    assert page.status_code == 200
    assert action not in page.content.decode()
    assert articles[0].title in page.content.decode()  # the viewer does see the list

    response = run_action(viewer_admin, action, articles)

    assert response.status_code == 200
    assert states(articles) == [start, start]
    assert not EditorialAction.objects.exists()
    assert Article.objects.filter(version=1).count() == 2


def test_editor_without_reject_permission_sees_publish_but_not_reject(db):
    from django.contrib.auth.models import Permission

    user = make_user(role=None, username="publisher", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_article", "change_article", "publish_article"])
    )
    article = make_article()
    client = client_for(user)

    html = client.get(CHANGELIST).content.decode()
    assert "publish_selected" in html
    assert "reject_selected" not in html

    run_action(client, "reject_selected", [article])
    assert Article.objects.get(pk=article.pk).state == Article.State.NEW
    assert not EditorialAction.objects.exists()


def test_action_reports_which_articles_failed_and_why(editor_admin):
    ready = make_article(title="Ready to go")
    incomplete = make_article(title="Body only item", needs_metadata=True, has_front_matter=False)
    published = make_article(title="Already out", state=Article.State.PUBLISHED)

    response = run_action(editor_admin, "publish_selected", [ready, incomplete, published])

    html = response.content.decode()
    assert "1 article published." in html
    assert "2 could not be published" in html
    assert "Body only item" in html and "needs its metadata" in html
    assert "Already out" in html
    assert states([ready, incomplete, published]) == ["published", "new", "published"]
    assert EditorialAction.objects.count() == 1


def test_too_large_a_selection_is_refused_without_changes(editor_admin, monkeypatch):
    monkeypatch.setattr("curation.services.editorial.transitions.MAX_BULK_ITEMS", 2)  # where bulk_transition reads it
    articles = [make_article() for _ in range(3)]

    response = run_action(editor_admin, "publish_selected", articles)

    assert "Select at most 2 items" in response.content.decode()
    assert states(articles) == ["new"] * 3


def test_select_across_applies_to_the_filtered_list(editor_admin):
    topic = make_topic(name="Energy")
    tagged = [make_article(topics=[topic]), make_article(topics=[topic])]
    other = make_article()

    editor_admin.post(
        f"{CHANGELIST}?topic={topic.pk}",
        {"action": "reject_selected", "select_across": 1, "index": 0, "_selected_action": [tagged[0].pk]},
    )

    assert states(tagged) == ["rejected", "rejected"]
    assert Article.objects.get(pk=other.pk).state == "new"


# --- the changelist on a growing table ---------------------------------------------------------


def populate(count):
    topics = [f"Topic {n}" for n in range(3)]
    for n in range(count):
        make_article(topics=topics[: 1 + n % 3], quality=n, heat=n % 4 - 1, category=f"cat{n % 3}")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?state__exact=new",
        "?category=cat1",
        "?article_type=article",
        "?heat_known=yes",
        "?quality_band=low",
        "?o=3",
        "?o=-6",
        "?q=story",
        "?published_at__year=2024",
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(superuser_admin, query):
    def measure():
        # Warm up first: curation.search caches its plan choice per search text.
        superuser_admin.get(CHANGELIST + query)
        with CaptureQueriesContext(connection) as ctx:
            response = superuser_admin.get(CHANGELIST + query)
        assert response.status_code == 200
        return ctx

    populate(3)
    small = measure()
    populate(27)
    large = measure()

    assert len(small) == len(large), [q["sql"] for q in large]
    # session + user, the sidebar facts, the (capped) count and the page of rows
    assert len(large) <= 6, [q["sql"] for q in large]
    assert not any("DISTINCT" in q["sql"].upper() for q in large)


def test_topic_filter_query_count_is_constant_and_uses_no_distinct(superuser_admin):
    topic = make_topic(name="Climate")

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            response = superuser_admin.get(f"{CHANGELIST}?topic={topic.pk}")
        return response, ctx

    make_article(topics=[topic])
    _, small = measure()
    for _ in range(20):
        make_article(topics=[topic, "Other"])
    make_article(title="Untagged story")
    response, large = measure()

    assert len(small) == len(large)
    assert not any("DISTINCT" in q["sql"].upper() for q in large)
    html = response.content.decode()
    assert "Untagged story" not in html
    assert html.count('class="action-select"') == 21  # each tagged article once, not once per topic


def article_counts(ctx):
    return [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT COUNT(*) FROM (SELECT "curation_article"')
    ]


def test_a_topic_with_more_articles_than_the_cap_is_walked_in_order_and_not_counted(superuser_admin, monkeypatch):
    monkeypatch.setattr(large_tables.LargeTablePaginator, "cap", 3)
    for backend_class in (DatabaseBackend, SQLiteBackend, PostgreSQLBackend):
        monkeypatch.setattr(backend_class, "few_topic_articles", 3)  # the plan's threshold
    big, small = make_topic(name="Big"), make_topic(name="Small")
    for n in range(5):
        make_article(title=f"Big {n}", topics=[big], state="published" if n % 2 else "new")
    make_article(title="Small 0", topics=[small])

    with CaptureQueriesContext(connection) as ctx:
        html = superuser_admin.get(CHANGELIST, {"topic": big.pk}).content.decode()
    assert "more than 3 articles" in html
    assert all(f">Big {n}<" in html for n in range(5)) and ">Small 0<" not in html
    assert not article_counts(ctx)  # the sidebar query already knew: no count of the articles
    assert any("EXISTS" in q["sql"] for q in ctx.captured_queries)

    # Combined with another filter the count is needed, and made.
    with CaptureQueriesContext(connection) as ctx:
        html = superuser_admin.get(CHANGELIST, {"topic": big.pk, "state__exact": "published"}).content.decode()
    assert "2 articles" in html and ">Big 1<" in html and ">Big 0<" not in html
    assert len(article_counts(ctx)) == 1

    # A small topic is fetched by id; its exact size came with the sidebar query.
    with CaptureQueriesContext(connection) as ctx:
        html = superuser_admin.get(CHANGELIST, {"topic": small.pk}).content.decode()
    assert "1 article" in html and ">Small 0<" in html and ">Big 0<" not in html
    assert not any("EXISTS" in q["sql"] for q in ctx.captured_queries)
    assert not article_counts(ctx)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the full-text probe is exact on SQLite only")
def test_a_search_matching_more_than_the_cap_is_not_counted_twice(superuser_admin, monkeypatch):
    monkeypatch.setattr(large_tables.LargeTablePaginator, "cap", 3)
    for n in range(5):
        make_article(title=f"Harbour news {n}", state="published" if n == 0 else "new")
    make_article(title="Mountain news")

    with CaptureQueriesContext(connection) as ctx:
        html = superuser_admin.get(CHANGELIST, {"q": "harbour"}).content.decode()
    assert "more than 3 articles" in html and ">Mountain news<" not in html
    assert not article_counts(ctx)

    html = superuser_admin.get(CHANGELIST, {"q": "mountain"}).content.decode()
    assert "1 article" in html and ">Mountain news<" in html

    # With another filter the count is made, and correct.
    with CaptureQueriesContext(connection) as ctx:
        html = superuser_admin.get(CHANGELIST, {"q": "harbour", "state__exact": "published"}).content.decode()
    assert "1 article" in html and ">Harbour news 0<" in html
    assert len(article_counts(ctx)) == 1


def test_selected_provider_and_topic_cost_no_extra_query(superuser_admin):
    for n in range(admin_facts.FILTER_CHOICES_SHOWN + 3):
        make_article(provider=make_provider(name=f"Outlet {n:03d}"), topics=[f"Subject {n:03d}"])
    last = admin_facts.FILTER_CHOICES_SHOWN + 2
    provider = Provider.objects.get(name=f"Outlet {last:03d}")
    topic = provider.articles.get().topics.get()

    superuser_admin.get(CHANGELIST)  # warm up
    with CaptureQueriesContext(connection) as plain:
        superuser_admin.get(CHANGELIST)
    with CaptureQueriesContext(connection) as selected:
        html = superuser_admin.get(CHANGELIST, {"provider": provider.pk, "topic": topic.pk}).content.decode()
    assert f"Outlet {last:03d} (" in html and f"Subject {last:03d}" in html  # past the first choices, still named
    # (PostgreSQL's unfiltered list also reads the table's row estimate: one more there.)
    assert len(selected) <= len(plain) <= 6 and len(selected) <= 5


def test_editor_changelist_query_count_is_constant(editor_admin):
    populate(3)
    with CaptureQueriesContext(connection) as small:
        editor_admin.get(CHANGELIST)
    populate(27)
    with CaptureQueriesContext(connection) as large:
        editor_admin.get(CHANGELIST)
    assert len(small) == len(large)


def test_count_is_capped_and_pages_stop_at_the_cap(superuser_admin, monkeypatch):
    monkeypatch.setattr(large_tables.LargeTablePaginator, "cap", 5)
    monkeypatch.setattr(ArticleAdmin, "list_per_page", 2)
    for _ in range(9):
        make_article()

    html = superuser_admin.get(f"{CHANGELIST}?state__exact=new").content.decode()
    assert "more than 5 articles" in html
    assert "?p=3" in html and "?p=4" not in html  # pages 1..3 cover the first 5 rows
    assert superuser_admin.get(f"{CHANGELIST}?p=5").status_code == 302  # past the cap: ?e=1


def test_exact_count_below_the_cap(superuser_admin):
    make_article()
    make_article()
    assert "2 articles" in superuser_admin.get(CHANGELIST).content.decode()


@pytest.mark.parametrize(("column", "field"), [(3, "quality"), (4, "heat"), (6, "published_at")])
def test_score_and_date_columns_sort_both_ways(superuser_admin, column, field):
    now = timezone.now()
    for n, (quality, heat) in enumerate([(10, 5), (90, -1), (50, 30)]):
        make_article(title=f"Sorted {n}", quality=quality, heat=heat, published_at=now - datetime.timedelta(days=n))
    values = sorted(Article.objects.values_list(field, flat=True))

    def titles_in_order(order):
        html = superuser_admin.get(f"{CHANGELIST}?o={order}").content.decode()
        return sorted(Article.objects.all(), key=lambda a: html.index(f">Sorted {a.title[-1]}<"))

    ascending = [getattr(a, field) for a in titles_in_order(column)]
    descending = [getattr(a, field) for a in titles_in_order(f"-{column}")]
    assert ascending == values
    assert descending == values[::-1]


def test_title_and_provider_columns_do_not_sort(superuser_admin):
    make_article()
    html = superuser_admin.get(CHANGELIST).content.decode()
    assert "?o=1" not in html and "?o=2" not in html  # title, provider: no index to sort by
    assert "?o=3" in html  # quality


# --- filters -----------------------------------------------------------------------------------


def test_filters_narrow_the_list(superuser_admin):
    topic = make_topic(name="Oceans")
    provider = make_provider(name="Harbour Gazette")
    make_article(
        title="Match all",
        topics=[topic],
        provider=provider,
        quality=80,
        heat=12,
        category="science",
        article_type="feature",
    )
    make_article(title="Match none", quality=None, heat=-1, category="sport", article_type="article")

    def titles(query):
        html = superuser_admin.get(CHANGELIST + query).content.decode()
        return {title for title in ("Match all", "Match none") if f">{title}<" in html}

    assert titles("") == {"Match all", "Match none"}
    assert titles(f"?topic={topic.pk}") == {"Match all"}
    assert titles(f"?provider={provider.pk}") == {"Match all"}
    assert titles("?category=science") == {"Match all"}
    assert titles("?article_type=article") == {"Match none"}
    assert titles("?heat_known=yes") == {"Match all"}
    assert titles("?heat_known=no") == {"Match none"}
    assert titles("?quality_band=high") == {"Match all"}
    assert titles("?quality_band=unknown") == {"Match none"}
    assert titles("?q=none") == {"Match none"}
    assert titles("?topic=not-a-number") == set()


def test_search_by_pasted_url_is_an_exact_match(superuser_admin):
    make_article(title="The one", web_url="https://paper.example/a/1")
    make_article(title="Another", web_url="https://paper.example/a/10")
    html = superuser_admin.get(CHANGELIST, {"q": "https://paper.example/a/1"}).content.decode()
    assert ">The one<" in html and ">Another<" not in html


def test_provider_filter_offers_a_search_box_when_there_are_many(superuser_admin):
    for n in range(admin_facts.FILTER_CHOICES_SHOWN + 5):
        Provider.objects.create(name=f"Outlet {n:03d}", domain=f"outlet{n}.example")
    wanted = Provider.objects.create(name="Zeta Tribune", domain="zeta.example")
    make_article(title="From Zeta", provider=wanted)

    html = superuser_admin.get(CHANGELIST).content.decode()
    assert 'name="provider_q"' in html
    assert f"?provider={wanted.pk}" not in html  # past the first choices: reached by searching

    html = superuser_admin.get(CHANGELIST, {"provider_q": "zeta", "state__exact": "new"}).content.decode()
    assert f"?provider={wanted.pk}&amp;state__exact=new" in html
    assert 'name="state__exact" value="new"' in html  # searching keeps the other filters

    html = superuser_admin.get(CHANGELIST, {"provider": wanted.pk}).content.decode()
    assert "Zeta Tribune (zeta.example)" in html and ">From Zeta<" in html


def test_date_hierarchy_drills_down_without_distinct_queries(superuser_admin):
    make_article(title="Old one", published_at=datetime.datetime(2021, 5, 3, 12, tzinfo=datetime.UTC))
    make_article(title="New one", published_at=datetime.datetime(2024, 2, 9, 12, tzinfo=datetime.UTC))

    html = superuser_admin.get(CHANGELIST).content.decode()
    for year in (2021, 2022, 2023, 2024):
        assert f"published_at__year={year}" in html

    with CaptureQueriesContext(connection) as ctx:
        html = superuser_admin.get(CHANGELIST, {"published_at__year": 2024, "published_at__month": 2}).content.decode()
    assert "published_at__day=29" in html  # 2024 is a leap year
    assert ">New one<" in html and ">Old one<" not in html
    assert not any("DISTINCT" in q["sql"].upper() for q in ctx.captured_queries)

    html = superuser_admin.get(
        CHANGELIST, {"published_at__year": 2024, "published_at__month": 2, "published_at__day": 9}
    ).content.decode()
    assert ">New one<" in html


def test_the_state_filter_offers_the_states_by_the_clock(superuser_admin, editor):
    from curation.services import scheduling

    tomorrow = timezone.now() + datetime.timedelta(days=1)
    waiting = scheduling.schedule_article(article=make_article(title="Goes live tomorrow"), user=editor, go_live_at=tomorrow).article
    make_article(title="Live already", state="published")
    html = superuser_admin.get(CHANGELIST, {"state__exact": "scheduled"}).content.decode()
    assert "Goes live tomorrow" in html and "Live already" not in html
    assert "?state__exact=scheduled" in superuser_admin.get(CHANGELIST).content.decode()
    assert waiting.state == "published"
