"""Editors at the same moment: no deadlock from opposite attaches, a deadlock the database
breaks is retried, and whatever database trouble is left is a 409 or 503 with a message."""

import time

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client

from curation.middleware import RETRY_AFTER_SECONDS
from curation.models import Article, ArticleState, EditorialAction
from curation.services import editorial, transactions
from curation.services.editorial import EditorialError
from curation.tests.concurrency import requires_postgresql, run_at_once
from curation.tests.factories import make_article, make_user

TRIES = 8


def body_only(text):
    return make_article(
        title=text, body=text, has_front_matter=False, needs_metadata=True, web_url="", front_matter_raw=""
    )


@pytest.fixture
def slow_locks(monkeypatch):
    """Each row lock is held a moment before the next statement, so two transactions that
    lock the same rows in opposite orders reliably meet in the middle (without this the
    window is a millisecond wide and the race is found only now and then)."""
    real_lock = editorial._lock

    def lock_then_pause(*args, **kwargs):
        article = real_lock(*args, **kwargs)
        time.sleep(0.05)
        return article

    # Every module of the editorial service that locks rows holds its own name for _lock.
    for module in (editorial, editorial.core, editorial.edits, editorial.transitions):
        monkeypatch.setattr(module, "_lock", lock_then_pause)
    # No retries: a deadlock must not happen at all, not merely be survived.
    monkeypatch.setattr(transactions, "RETRY_ATTEMPTS", 1)


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_attaching_x_to_y_while_another_editor_attaches_y_to_x_does_not_deadlock(slow_locks):
    from curation.tests.browser_support import ensure_editorial_groups

    ensure_editorial_groups()  # a transactional test starts from an emptied database
    first, second = make_user(role="editor"), make_user(role="editor")
    for attempt in range(TRIES):
        x, y = body_only(f"Item X {attempt}"), body_only(f"Item Y {attempt}")
        results = run_at_once(
            lambda x=x, y=y: editorial.attach_body(item=x.pk, target=y.pk, user=first),
            lambda x=x, y=y: editorial.attach_body(item=y.pk, target=x.pk, user=second),
        )
        for result in results:
            # Both rows are locked (in id order) before anything is checked: no deadlock.
            # Neither is an article to attach to, so both are refused with a reason an
            # editor can read (a body-only item as the target replaced its own text).
            assert not isinstance(result, OperationalError), f"attempt {attempt}: {result}"
        refused = [r for r in results if isinstance(r, EditorialError)]
        assert len(refused) == 2, results
        assert all("body-only item too" in str(r) for r in refused), results
        states = sorted(Article.objects.filter(pk__in=[x.pk, y.pk]).values_list("state", flat=True))
        assert states == [ArticleState.NEW, ArticleState.NEW]
        assert not EditorialAction.objects.filter(action="attach", article__in=[x, y]).exists()


def _lock_two_rows_in_order(first_pk, second_pk, calls):
    @transactions.retry_transient
    def write():
        calls.append(first_pk)
        with transaction.atomic():
            list(Article.objects.select_for_update().filter(pk=first_pk))
            time.sleep(0.1)
            list(Article.objects.select_for_update().filter(pk=second_pk))
            Article.objects.filter(pk__in=[first_pk, second_pk]).update(quality=first_pk)
        return "done"

    return write


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_write_the_database_rolled_back_for_a_deadlock_is_run_again():
    a, b = make_article(), make_article()
    calls = []
    results = run_at_once(_lock_two_rows_in_order(a.pk, b.pk, calls), _lock_two_rows_in_order(b.pk, a.pk, calls))
    # PostgreSQL broke the deadlock by rolling one back; that one ran again and finished.
    assert results == ["done", "done"]
    assert len(calls) == 3


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_deadlock_that_outlives_the_retries_is_a_409_with_a_message(monkeypatch):
    """A real deadlock error, raised from the view's service call: the middleware answers."""
    monkeypatch.setattr(transactions, "RETRY_ATTEMPTS", 1)
    a, b = make_article(), make_article()
    results = run_at_once(_lock_two_rows_in_order(a.pk, b.pk, []), _lock_two_rows_in_order(b.pk, a.pk, []))
    deadlock = next(r for r in results if isinstance(r, OperationalError))
    assert transactions.classify(deadlock) == transactions.CONFLICT

    def raise_it(**kwargs):
        raise deadlock

    monkeypatch.setattr(editorial, "transition_article", raise_it)
    from curation.tests.browser_support import ensure_editorial_groups

    ensure_editorial_groups()
    client = Client()
    client.force_login(make_user(role="editor"))
    response = client.post(f"/curate/articles/{a.pk}/publish/", {"expected_version": 1})
    assert response.status_code == 409
    assert b"nothing was saved" in response.content
    assert b"<h1>Changed at the same moment</h1>" in response.content
    response = client.post(
        f"/curate/articles/{a.pk}/publish/", {"expected_version": 1}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 409
    assert response.json() == {"ok": False, "error": response.json()["error"]}
    assert "Reload the page" in response.json()["error"]


@pytest.mark.django_db
def test_a_busy_or_unreachable_database_is_a_503_with_retry_after(editor_client, article, monkeypatch):
    # A real OperationalError from the database in use (SQLite's "no such table"; on
    # PostgreSQL a connection to a port nobody listens on).
    try:
        if connection.vendor == "sqlite":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")
        else:
            import psycopg

            try:
                psycopg.connect("host=127.0.0.1 port=1 connect_timeout=1")
            except psycopg.OperationalError as cause:
                raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        trouble = exc
    assert transactions.classify(trouble) == transactions.UNAVAILABLE

    def raise_it(**kwargs):
        raise trouble

    monkeypatch.setattr(editorial, "transition_article", raise_it)
    response = editor_client.post(f"/curate/articles/{article.pk}/publish/", {"expected_version": 1})
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"Try again" in response.content
    response = editor_client.post(
        f"/curate/articles/{article.pk}/reject/", {"expected_version": 1}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["error"]
    article.refresh_from_db()
    assert article.state == ArticleState.NEW


def test_sqlite_lock_messages_are_busy_and_refused_input_is_told_apart():
    # How SQLite says it, asked of its backend whichever database this run uses.
    from curation.db.sqlite import SQLiteBackend

    sqlite = SQLiteBackend(connection=None)
    assert sqlite.error_kind(OperationalError("database is locked")) == transactions.BUSY
    assert sqlite.error_kind(OperationalError("disk I/O error")) == transactions.UNAVAILABLE
    assert sqlite.refused_input(OperationalError("user-defined function raised exception"))
    assert not sqlite.refused_input(OperationalError("database is locked"))
    assert transactions.classify(ValueError("x")) is None
    assert transactions.is_refused_input(OverflowError("Python int too large to convert to SQLite INTEGER"))


@pytest.mark.django_db
def test_database_trouble_outside_a_view_is_a_503_too(editor, article, monkeypatch):
    """Raised while the session loads (before any view): handler500 answers, not the 500 page."""
    from django.contrib.sessions.backends.db import SessionStore

    def unreachable(self):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    client = Client(raise_request_exception=False)
    client.force_login(editor)
    monkeypatch.setattr(SessionStore, "load", unreachable)
    response = client.get(f"/curate/articles/{article.pk}/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"cannot be reached" in response.content


@pytest.mark.django_db
def test_a_story_publish_the_database_gives_up_on_part_way_keeps_nothing(editor_client, tmp_path, monkeypatch):
    """Publishing a story is one act: when a later rejection fails for database trouble, the
    lead's publication and the earlier rejections are not kept either (the 409/503 page says
    "nothing was saved")."""
    from curation.models import Story
    from curation.services import story_publication
    from curation.services.importing import import_seed_files
    from curation.tests.stories_support import storm_seed, write_seeds

    write_seeds(tmp_path, [storm_seed(n) for n in range(4)])
    import_seed_files([tmp_path], workers=0)
    story = Story.objects.get()
    lead = Article.objects.get(pk=story.lead_id)
    real = story_publication.transition_article
    calls = []

    def third_call_fails(**kwargs):
        calls.append(kwargs["action"])
        if len(calls) == 3:  # the lead published, one duplicate rejected, then trouble
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(story_publication, "transition_article", third_call_fails)
    response = editor_client.post(
        f"/curate/stories/{story.pk}/publish/",
        {"lead": lead.pk, "expected_version": lead.version, "rest": "reject"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["error"]
    assert set(Article.objects.values_list("state", flat=True)) == {ArticleState.NEW}
    assert not EditorialAction.objects.exists()


@pytest.mark.django_db
def test_a_story_lead_edited_since_the_row_was_drawn_is_not_published_unseen(editor_client, editor, tmp_path):
    from curation.models import Story
    from curation.services.importing import import_seed_files
    from curation.tests.stories_support import storm_seed, write_seeds

    write_seeds(tmp_path, [storm_seed(n) for n in range(3)])
    import_seed_files([tmp_path], workers=0)
    story = Story.objects.get()
    lead = Article.objects.get(pk=story.lead_id)
    seen = lead.version
    editorial.edit_article(article=lead, user=editor, title="Retitled by a colleague", expected_version=seen)
    response = editor_client.post(
        f"/curate/stories/{story.pk}/publish/",
        {"lead": lead.pk, "expected_version": seen, "rest": "reject"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert set(Article.objects.values_list("state", flat=True)) == {ArticleState.NEW}
