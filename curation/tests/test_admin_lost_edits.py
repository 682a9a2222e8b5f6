"""Two admins editing one topic, provider or rejection reason at once: the second save is
refused with a message and the first admin's change stays (it used to be overwritten
silently), on the change page and in the reasons' editable list; a save that slips in
between the form's check and the write is caught under the row lock."""

import re

import pytest

from curation.admin.stale import SeenStateForm
from curation.models import RejectionReason, Topic
from curation.tests.concurrency import requires_postgresql, run_at_once
from curation.tests.factories import client_for, make_provider, make_topic, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins():
    return client_for(make_user(role="superuser")), client_for(make_user(role="superuser"))


def seen_state(client, path):
    page = client.get(path).content.decode()
    return re.search(r'name="seen_state" value="([0-9a-f]+)"', page).group(1)


def stale_post(first, second, path, mine, theirs):
    """`first` opens the page; `second` opens it, saves `theirs`; `first` saves `mine`."""
    seen = seen_state(first, path)
    assert second.post(path, {**theirs, "seen_state": seen_state(second, path)}).status_code == 302
    return first.post(path, {**mine, "seen_state": seen}, follow=True)


@pytest.mark.parametrize("kind", ["topic", "provider", "rejectionreason"])
def test_the_second_save_of_a_stale_form_is_refused(admins, kind):
    first, second = admins
    if kind == "topic":
        row = make_topic(name="Climate")
        mine, theirs = {"name": "Climate change", "slug": "climate"}, {"name": "Climate crisis", "slug": "climate"}
    elif kind == "provider":
        row = make_provider(name="Times", domain="times.example")
        mine, theirs = {"name": "The Times", "domain": "times.example"}, {"name": "Times", "domain": "thetimes.example"}
    else:
        row = RejectionReason.objects.order_by("pk").first()
        base = {"label": row.label, "position": row.position, "needs_note": ""}
        mine, theirs = {**base, "label": "Mine", "active": "on"}, {**base, "active": ""}
    path = f"/admin/curation/{kind}/{row.pk}/change/"
    response = stale_post(first, second, path, mine, theirs)
    assert response.status_code == 200
    assert "Someone else changed this" in response.content.decode()
    row.refresh_from_db()
    if kind == "topic":
        assert row.name == "Climate crisis"
    elif kind == "provider":
        assert (row.name, row.domain) == ("Times", "thetimes.example")
    else:
        assert (row.label, row.active) == (base["label"], False)
    # Reloaded, the same edit goes through.
    assert first.post(path, {**mine, "seen_state": seen_state(first, path)}).status_code == 302


def list_post(reason, seen, **fields):
    row = {"id": reason.pk, "position": reason.position, "active": "on", "needs_note": "", "seen_state": seen, **fields}
    data = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    data.update({f"form-0-{name}": value for name, value in row.items() if value is not None})
    return {**data, "_save": "Save"}


def test_the_reasons_list_refuses_a_stale_row_and_ignores_other_fields(admins):
    first, second = admins
    reason = RejectionReason.objects.filter(active=True, needs_note=False).order_by("pk").first()
    page = first.get("/admin/curation/rejectionreason/").content.decode()
    seen = seen_for(page, reason)
    # Another admin renames it on its page: not a field of the list, so no conflict.
    path = f"/admin/curation/rejectionreason/{reason.pk}/change/"
    other = {"label": "Renamed", "position": reason.position, "active": "on", "needs_note": ""}
    assert second.post(path, {**other, "seen_state": seen_state(second, path)}).status_code == 302
    response = first.post("/admin/curation/rejectionreason/", list_post(reason, seen, position=7))
    assert response.status_code == 302, response.context["cl"].formset.errors
    reason.refresh_from_db()
    assert (reason.label, reason.position) == ("Renamed", 7)
    # Now they switch it off: the list's row, opened before, no longer stands.
    seen = seen_for(first.get("/admin/curation/rejectionreason/").content.decode(), reason)
    assert (
        second.post(path, {**other, "position": 7, "active": "", "seen_state": seen_state(second, path)}).status_code
        == 302
    )
    response = first.post("/admin/curation/rejectionreason/", list_post(reason, seen, position=3))
    assert "Someone else changed this" in response.content.decode()
    reason.refresh_from_db()
    assert (reason.position, reason.active) == (7, False)


def seen_for(page, reason):
    """The seen_state of the list row whose id is the reason's."""
    for index in re.findall(rf'name="form-(\d+)-id" value="{reason.pk}"', page):
        return re.search(rf'name="form-{index}-seen_state" value="([0-9a-f]+)"', page).group(1)
    raise AssertionError("the reason is not in the list")


def test_a_save_between_the_check_and_the_write_is_caught_under_the_lock(admins, monkeypatch):
    first, _ = admins
    topic = make_topic(name="Energy")
    path = f"/admin/curation/topic/{topic.pk}/change/"
    seen = seen_state(first, path)
    checked = SeenStateForm.clean

    def clean_then_another_admin_saves(form):
        cleaned = checked(form)
        # In this test's one connection the "other admin's" write is rolled back with the
        # refused POST; on PostgreSQL it would be another transaction's, committed.
        Topic.objects.filter(pk=topic.pk).update(name="Energy policy")
        return cleaned

    monkeypatch.setattr(SeenStateForm, "clean", clean_then_another_admin_saves)
    response = first.post(path, {"name": "Power", "slug": topic.slug, "seen_state": seen}, follow=True)
    assert "Someone else changed this topic" in response.content.decode()
    topic.refresh_from_db()
    assert topic.name == "Energy"  # the POST wrote nothing


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_admins_saving_at_once_on_postgresql():
    topic = make_topic(name="Health")
    path = f"/admin/curation/topic/{topic.pk}/change/"
    clients = [client_for(make_user(role="superuser")) for _ in range(2)]
    seen = [seen_state(client, path) for client in clients]

    def save(index):
        data = {"name": f"Health {index}", "slug": topic.slug, "seen_state": seen[index]}
        return lambda: clients[index].post(path, data, follow=True).content.decode()

    pages = run_at_once(save(0), save(1))
    assert not [page for page in pages if isinstance(page, BaseException)], pages
    assert sum("Someone else changed this topic" in page for page in pages) == 1
    topic.refresh_from_db()
    assert topic.name in ("Health 0", "Health 1")
