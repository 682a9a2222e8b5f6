"""Helpers for the browser tests: find and launch Debian's Chromium, watch a page for trouble.

Never downloads a browser: Playwright drives the Chromium already on the machine
(/usr/bin/chromium, or CHROMIUM_PATH). Without it the browser tests skip, unless
REQUIRE_BROWSER=1 (as CI sets), where they fail instead.
"""

import importlib
import os
import struct
import zlib
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"


def ensure_editorial_groups():
    """Recreate the Editors and Viewers groups of the data migration (0002_editorial_groups).

    A live-server test needs a transactional database, which is emptied by a flush after every
    test, groups included. (serialized_rollback cannot be relied on here: while Playwright's
    sync API runs its event loop, Django hands this thread a different connection object,
    which lacks the serialized copy whenever the database was set up before the browser.)
    """
    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("curation.migrations.0002_editorial_groups")
    later = importlib.import_module("curation.migrations.0016_curator_pages")
    for name, codenames in (("Editors", migration.EDITORS + later.EDITORS_ADDED), ("Viewers", migration.VIEWERS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="curation", codename__in=codenames))


def chromium_path():
    return os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"


def browser_required():
    return os.environ.get("REQUIRE_BROWSER") == "1"


def unavailable(reason):
    """Skip, or fail when the browser tests are required (CI)."""
    if browser_required():
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def launch_chromium(playwright):
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        unavailable(f"Chromium not found at {path} (set CHROMIUM_PATH, or install Debian's chromium package)")
    try:
        return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # a broken install is as good as a missing one here
        unavailable(f"Chromium at {path} did not start: {exc}")


@dataclass
class PageWatch:
    """What went wrong on a page: console errors (CSP violations among them), uncaught
    exceptions and JavaScript dialogs (alert/confirm/prompt), which the watcher dismisses."""

    console_errors: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)

    def attach(self, page):
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("dialog", self._on_dialog)
        return self

    def _on_console(self, message):
        if message.type == "error":
            self.console_errors.append(f"{message.text} [{message.location.get('url', '')}]")

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_clean(self, *, allow=()):
        """No dialog, no uncaught error, no console error except those containing an `allow` text."""
        errors = [text for text in self.console_errors if not any(part in text for part in allow)]
        assert not self.dialogs, f"unexpected JavaScript dialogs: {self.dialogs}"
        assert not self.page_errors, f"uncaught JavaScript errors: {self.page_errors}"
        assert not errors, f"console errors (CSP violations show here too): {errors}"


def solid_png(width=160, height=90, rgb=(70, 110, 160)):
    """A small valid PNG, served in place of the sources' hot-linked images (no network here)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def keep_off_the_network(context, base_url):
    """Requests to anywhere but the live server: images get a placeholder, the rest is refused."""
    placeholder = solid_png()

    def handle(route):
        if route.request.resource_type == "image":
            route.fulfill(status=200, content_type="image/png", body=placeholder)
        else:
            route.abort()

    context.route(lambda url: not url.startswith(base_url), handle)


def save_screenshot(page, name, *, full_page=True):
    """Save a PNG under test-artifacts/ and check it is a real picture, not an empty file."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / name
    page.screenshot(path=str(path), full_page=full_page)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
    assert len(data) > 10_000, f"{path} is only {len(data)} bytes: the page probably rendered blank"
    return path


# --- shared by the browser tests (their fixtures: curation/tests/browser/conftest.py) ---------

PASSWORD = "correct horse battery staple"
# How long a wait (a page load, an element, an expect) may take before the test fails. A
# passing test never waits it out, so it is set for a shared CI machine under load, where a
# page load took more than 5 s (two suites and Chromium on two cores).
TIMEOUT_MS = 15_000
# The rules axe-core checks for the brief's bar: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = ("serious", "critical")


def expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def arrive(page, url_pattern):
    """Wait until the browser is at `url_pattern` and the page has loaded, so that the rows
    are all there and the curator scripts (deferred) have attached its key handlers."""
    expect()(page).to_have_url(url_pattern)
    page.wait_for_load_state()


def axe_violations(page, *, impacts=SERIOUS, tags=None):
    """axe-core's violations on the page as readable lines: by default the serious and
    critical ones (the brief's bar); `impacts=None` for every one; `tags` to run only those
    rules (e.g. WCAG_TAGS). Only where scripts run: axe is one, and in a page with them off
    it never returns, and the test hung until its timeout."""
    from axe_playwright_python.sync_playwright import Axe

    if not getattr(page, "scripts_on", True):
        raise AssertionError(
            "axe cannot check a page with JavaScript off: check the same page with it on "
            "(or with the app's scripts blocked by a route)"
        )

    options = {"runOnly": {"type": "tag", "values": tags}} if tags else None
    results = Axe().run(page, options=options) if options else Axe().run(page)
    return [
        f"{violation['id']} ({violation.get('impact')}): {violation['help']} "
        f"{[node['target'] for node in violation['nodes']][:4]}"
        for violation in results.response["violations"]
        if impacts is None or violation.get("impact") in impacts
    ]


def operate(page, control, how, *, key="Enter", loads_page=None):
    """Work `control` the way `how` names: "keyboard" (focused, as Tab would, then `key`),
    "mouse-javascript" or "mouse-no-javascript" (a click). `loads_page`: the act is a page
    load, waited for; by default only without JavaScript (with it, most acts happen in place)."""
    if loads_page is None:
        loads_page = how == "mouse-no-javascript"
    with page.expect_navigation() if loads_page else nullcontext():
        if how == "keyboard":
            control.focus()
            page.keyboard.press(key)
        else:
            control.click()
