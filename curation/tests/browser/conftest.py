"""Fixtures for the browser tests: one Chromium per module (Debian's, never a download), the
editorial groups, an empty response cache, and pages opened signed in or anonymous."""

import os

import pytest
from django.conf import settings
from django.test import Client

from curation.tests.browser_support import (
    PASSWORD,
    TIMEOUT_MS,
    PageWatch,
    ensure_editorial_groups,
    keep_off_the_network,
    launch_chromium,
    unavailable,
)
from curation.tests.factories import clear_caches, make_user


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the whole module; each test gets fresh contexts (own cookies)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"the playwright package cannot be imported: {exc}")
    # Playwright's sync API runs an event loop in this thread; the ORM calls that the test
    # (and pytest-django's database flush) make meanwhile are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch_chromium(playwright)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def editorial_groups(transactional_db):
    ensure_editorial_groups()


@pytest.fixture(autouse=True)
def empty_response_cache():
    """Public responses are cached under their ETag; test databases reuse ids and timestamps."""
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(user=None, **context_options) -> (page, watch). With `user`, the browser
    starts signed in as that user (a session cookie); without, it starts anonymous."""
    contexts = []

    def open_page(user=None, **options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        keep_off_the_network(context, live_server.url)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        # Read by axe_violations, which cannot run in a page whose scripts are off.
        page.scripts_on = options.get("java_script_enabled", True)
        return page, PageWatch().attach(page)

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def open_as_editor(open_page):
    """open_as_editor(path, **context_options) -> (page, watch): a page signed in as a new
    editor, at `path`. For the tests that need nothing of the editor but the session."""

    def open_as_editor(path, **options):
        page, watch = open_page(user=make_user(role="editor", password=PASSWORD), **options)
        page.goto(path)
        return page, watch

    return open_as_editor


@pytest.fixture
def admin_user():
    """A superuser who signs in through the login form (the admin's browser tests)."""
    return make_user(role="superuser", username="root", password=PASSWORD)
