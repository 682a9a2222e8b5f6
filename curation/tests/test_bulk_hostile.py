"""The queue's bulk bar driven by hand-made POSTs (a fourth hostile pass): ticked ids of any
shape (other states, repeated, beyond 64 bits, not numbers), a scope and a filter query of
any text, any decision, reason and schedule. Whatever is sent, the answer is a page or a
refusal that says why (JSON when asked for), and no item outside what was sent changes."""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from curation.models import Article, ArticleState
from curation.services.editorial import publish_article, reject_article
from curation.services.scheduling import schedule_article
from curation.tests.factories import client_for, make_article, make_body_only
from curation.tests.hostile_input import fuzz_settings, ids, values

pytestmark = pytest.mark.django_db

BULK = "/curate/bulk/"


@pytest.fixture
def client(editor):
    return client_for(editor)


@pytest.fixture
def desk(db, editor):
    """An item in each state a bulk decision meets, and one that no POST names."""
    new = make_article(title="New item")
    published = make_article(title="Published item")
    publish_article(article=published, user=editor)
    rejected = make_article(title="Rejected item")
    reject_article(article=rejected, user=editor)
    scheduled = make_article(title="Scheduled item")
    schedule_article(article=scheduled, user=editor, go_live_at=timezone.now() + dt.timedelta(days=2))
    body_only = make_body_only(title="Body only", body="Body only.\n\nText.")
    untouched = make_article(title="Never named")
    return {"items": [new, published, rejected, scheduled, body_only], "untouched": untouched}


def snapshot(pk):
    return Article.objects.filter(pk=pk).values("state", "version", "live_from", "live_until").get()


real_ids = st.sampled_from(range(5))  # an index into desk["items"]
ticked = st.lists(st.one_of(real_ids.map(lambda n: ("real", n)), ids.map(lambda v: ("raw", v))), max_size=8)
actions = st.sampled_from(["publish", "reject", "unpublish", "restore", "schedule", "unschedule", "", "x", "delete"])
extra = st.dictionaries(
    st.sampled_from(
        ["scope", "query", "reason", "reason_code", "submission", "go_live_at", "expire_at", "interval_minutes",
         "time_zone", "next"]
    ),
    st.one_of(values, st.sampled_from(["matching", "selected", "state=all", "state=new&q=item", "Europe/Berlin",
                                       "2026-03-29T02:30", "duplicate", "other"])),
)


@fuzz_settings
@given(ticked=ticked, action=actions, extra=extra, as_json=st.booleans())
def test_any_bulk_post_is_answered_and_changes_nothing_it_did_not_name(client, desk, ticked, action, extra, as_json):
    pks = [desk["items"][value].pk if kind == "real" else value for kind, value in ticked]
    before = snapshot(desk["untouched"].pk)
    matching = extra.get("scope") == "matching"
    body = urlencode([("action", action), *(("ids", str(pk)) for pk in pks), *extra.items()])
    headers = {"Accept": "application/json"} if as_json else {}
    response = client.generic(
        "POST", BULK, body, content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert response.status_code < 500, (pks, action, extra, response.status_code)
    if as_json:
        data = response.json()
        assert data["ok"] or data["error"]
    else:
        assert response.status_code in (302, 400, 409), response.status_code
    if not matching:
        assert snapshot(desk["untouched"].pk) == before


def test_ids_of_other_states_and_repeats_are_reported_not_applied_twice(client, desk):
    new, published, rejected, scheduled, body_only = desk["items"]
    response = client.post(
        BULK,
        {"action": "publish", "ids": [new.pk, new.pk, published.pk, rejected.pk, body_only.pk]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200 and response.json()["ok"]
    assert Article.objects.get(pk=new.pk).state == ArticleState.PUBLISHED
    assert Article.objects.get(pk=new.pk).version == new.version + 1  # once, though named twice
    assert Article.objects.get(pk=body_only.pk).state == ArticleState.NEW  # it cannot be published


def test_a_huge_list_of_ids_is_refused_whole(client, desk):
    many = [str(n) for n in range(1, 900)]
    response = client.post(BULK, {"action": "publish", "ids": many}, headers={"Accept": "application/json"})
    assert response.status_code == 400 and "At most" in response.json()["error"]
    assert Article.objects.get(pk=desk["items"][0].pk).state == ArticleState.NEW
