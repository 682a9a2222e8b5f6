import pytest
import time_machine
from django.core.cache import cache

from curation.tests.factories import client_for, make_article, make_user


@pytest.fixture
def editor(db):
    return make_user(role="editor", username="edna")


@pytest.fixture
def viewer(db):
    return make_user(role="viewer", username="vic")


@pytest.fixture
def superuser(db):
    return make_user(role="superuser", username="root")


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


# Staff accounts for the admin's tests: editors and viewers who may open /admin/.
@pytest.fixture
def staff_editor(db):
    return make_user(role="editor", username="staff-editor", is_staff=True)


@pytest.fixture
def staff_viewer(db):
    return make_user(role="viewer", username="staff-viewer", is_staff=True)


@pytest.fixture
def editor_admin(staff_editor):
    return client_for(staff_editor)


@pytest.fixture
def viewer_admin(staff_viewer):
    return client_for(staff_viewer)


@pytest.fixture
def superuser_admin(superuser):
    return client_for(superuser)


@pytest.fixture
def embargo_editor(db):
    """An editor who may also set and lift embargoes."""
    return make_user(role="editor", username="emma", groups=["Embargo editors"])


@pytest.fixture
def clock(clock_start):
    """For the schedule's tests: the application's clock at the module's `clock_start`,
    standing still until moved (`clock.move_to(...)`)."""
    with time_machine.travel(clock_start, tick=False) as traveller:
        yield traveller


@pytest.fixture
def article(db):
    return make_article(title="A story worth reading", topics=["Science"])


@pytest.fixture
def empty_response_cache(monkeypatch):
    """For the public side's tests: rendered feeds and API responses are kept in Django's
    cache under their ETag, and test databases reuse ids and timestamps, so each test starts
    with an empty cache. The ETag's periodic refresh is frozen so that a 304 test cannot
    straddle it."""
    monkeypatch.setattr("curation.public.http.etag_epoch", lambda: 0)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_query_plans():
    """Plan facts (a topic's size, a search's match count) are remembered per process;
    test databases reuse ids and texts, so every test starts without them."""
    from curation.db import plans

    plans.forget()
