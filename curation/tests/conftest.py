import pytest
import time_machine

from curation.tests.factories import clear_caches, client_for, make_article, make_user, seed_text, valid_front_matter


def account(**fields):
    """A fixture giving a user made by `make_user(**fields)`."""

    @pytest.fixture
    def account_user(db):
        return make_user(**fields)

    return account_user


def signed_in(user_fixture):
    """A fixture giving a test client signed in as the user of the fixture named."""

    @pytest.fixture
    def signed_in_client(request):
        return client_for(request.getfixturevalue(user_fixture))

    return signed_in_client


# The accounts the tests act as, each a fixture of the name it is given here.
editor = account(role="editor", username="edna")
viewer = account(role="viewer", username="vic")
superuser = account(role="superuser", username="root")
embargo_editor = account(role="editor", username="emma", groups=["Embargo editors"])  # may set and lift embargoes
# Staff accounts for the admin's tests: editors and viewers who may open /admin/.
staff_editor = account(role="editor", username="staff-editor", is_staff=True)
staff_viewer = account(role="viewer", username="staff-viewer", is_staff=True)

editor_client = signed_in("editor")
viewer_client = signed_in("viewer")
editor_admin = signed_in("staff_editor")
viewer_admin = signed_in("staff_viewer")
superuser_admin = signed_in("superuser")


@pytest.fixture
def clock(clock_start):
    """For the schedule's tests: the application's clock at the module's `clock_start`,
    standing still until moved (`clock.move_to(...)`)."""
    with time_machine.travel(clock_start, tick=False) as traveller:
        yield traveller


@pytest.fixture
def six_seed_files(tmp_path):
    """A folder of six valid seed files, 0.txt to 5.txt: for the tests that stop an import
    at a chosen batch."""
    for n in range(6):
        (tmp_path / f"{n}.txt").write_text(seed_text(body=f"Body {n}.\n", **valid_front_matter(n)), encoding="utf-8")
    return tmp_path


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
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(autouse=True)
def _fresh_query_plans():
    """Plan facts (a topic's size, a search's match count) are remembered per process, and
    the ids merged topics and providers had in the cache; test databases reuse ids and texts
    (and a rolled-back merge never forgets its ids), so every test starts without them."""
    from curation.db import plans
    from curation.services import taxonomy

    plans.forget()
    taxonomy.forget_merged_ids(at_once=True)
