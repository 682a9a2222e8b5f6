"""Hardening a user (or an attacker) would notice: the CSP header, production cookies and
HSTS, and login throttling on both login forms."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from curation.tests.factories import make_user

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
STRONG_KEY = "k8#Qz!w2vR7@pL5^mN0&xT3*yU6(oI9)aS4-dF1=gH8+jK2_lZ5e"


def csp_directives(response):
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# --- Content-Security-Policy --------------------------------------------------------------


def test_admin_pages_carry_a_csp_without_inline_script(client, superuser):
    for url, user in [(reverse("admin:login"), None), (reverse("admin:index"), superuser)]:
        if user:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in directives.get("style-src", [])
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]


def test_csp_lets_remote_article_images_load_but_not_remote_scripts(client):
    directives = csp_directives(client.get(reverse("admin:login")))
    assert {"https:", "http:"} <= set(directives["img-src"])
    assert not {"https:", "http:", "*"} & set(directives["script-src"])
    assert "'unsafe-eval'" not in directives["script-src"]


def test_not_found_pages_carry_the_csp_too(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert csp_directives(response)["script-src"] == ["'self'"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def test_project_templates_have_nothing_the_csp_would_block():
    """The policy forbids inline code: a template with some would silently break in browsers."""
    offenders = []
    for template in sorted((BASE_DIR / "templates").rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for label, pattern in [("inline <script>", INLINE_SCRIPT), ("on*= handler", INLINE_HANDLER),
                               ("style= attribute", STYLE_ATTRIBUTE)]:
            if pattern.search(text):
                offenders.append(f"{template.relative_to(BASE_DIR)}: {label}")
    assert offenders == []


# --- production cookies, HSTS, HTTPS --------------------------------------------------------


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# The manifest storage needs `collectstatic` first; what is probed here is not static files.
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
client = Client()
plain = client.get("/admin/login/", HTTP_HOST="news.example")
secure = client.get("/admin/login/", HTTP_HOST="news.example", secure=True)
claimed = client.get("/admin/login/", HTTP_HOST="news.example", HTTP_X_FORWARDED_PROTO="https")
cookie = secure.cookies.get("csrftoken")
print(json.dumps({
    "debug": settings.DEBUG,
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "claimed_https_status": claimed.status_code,
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "x_frame_options": secure.headers.get("X-Frame-Options"),
    "referrer_policy": secure.headers.get("Referrer-Policy"),
    "nosniff": secure.headers.get("X-Content-Type-Options"),
}))
"""


def production_env(**extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="news.example",
        DJANGO_STATIC_ROOT=str(BASE_DIR / "staticfiles"),
    )
    env.update(extra)
    return env


def run_probe(**extra):
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], cwd=BASE_DIR, env=production_env(**extra),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_production_settings_force_https_secure_cookies_and_hsts():
    probe = run_probe()
    assert probe["debug"] is False
    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://news.example/admin/login/"
    assert probe["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert probe["csrf_cookie_secure"] is True
    assert probe["session_cookie_secure"] is True
    assert probe["session_cookie_httponly"] is True
    assert probe["x_frame_options"] == "DENY"
    assert probe["referrer_policy"] == "same-origin"
    assert probe["nosniff"] == "nosniff"
    # A client talking to gunicorn directly cannot claim HTTPS with a proxy header...
    assert probe["claimed_https_status"] == 301


@pytest.mark.slow
def test_the_proxy_header_is_trusted_only_when_the_operator_says_so():
    # ...but behind a TLS-terminating proxy that sets it, the operator opts in.
    assert run_probe(DJANGO_SECURE_PROXY_SSL_HEADER="1")["claimed_https_status"] == 200


@pytest.mark.slow
def test_https_redirect_can_be_left_to_the_proxy_and_hsts_tuned():
    probe = run_probe(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_HSTS_SECONDS="3600",
                      DJANGO_SECURE_HSTS_PRELOAD="0")
    assert probe["plain_status"] == 200
    assert probe["hsts"] == "max-age=3600; includeSubDomains"
    assert probe["csrf_cookie_secure"] is True


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


# --- login throttling -----------------------------------------------------------------------


def attempt(client, url, username, password, ip="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def is_logged_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def limit():
    assert settings.AXES_ENABLED
    return settings.AXES_FAILURE_LIMIT


@pytest.mark.parametrize("url_name", ["admin:login", "login"])
def test_nth_failed_login_from_an_ip_gets_429_and_then_even_the_right_password_is_refused(
    url_name, limit, superuser
):
    url = reverse(url_name)
    client = Client()
    for _ in range(limit - 1):
        response = attempt(client, url, "root", "wrong")
        assert response.status_code == 200  # the form again, with an error
    response = attempt(client, url, "root", "wrong")
    assert response.status_code == 429
    assert b"Too many login attempts" in response.content

    response = attempt(client, url, "root", "pw")
    assert response.status_code == 429
    assert not is_logged_in(client)

    # Another address is not affected: the lockout is per client, not a denial of service.
    other = Client()
    response = attempt(other, url, "root", "pw", ip="10.0.0.2")
    assert response.status_code == 302
    assert is_logged_in(other)


@pytest.mark.parametrize("url_name", ["admin:login", "login"])
def test_one_users_failures_do_not_lock_out_another_user_at_the_same_ip(url_name, limit, superuser):
    """Counted per username and address together (a newsroom behind one address)."""
    make_user(role="editor", username="edna", password="edna-pw", is_staff=True)
    url = reverse(url_name)
    typist = Client()
    for _ in range(limit):
        attempt(typist, url, "root", "wrong")
    assert attempt(typist, url, "root", "pw").status_code == 429
    colleague = Client()
    response = attempt(colleague, url, "edna", "edna-pw")  # same address, another account
    assert response.status_code == 302
    assert is_logged_in(colleague)


def test_failures_on_different_usernames_from_one_ip_are_counted_apart(limit):
    make_user(role="editor", username="edna")
    client = Client()
    url = reverse("admin:login")
    for n in range(limit - 1):
        assert attempt(client, url, f"guess{n}", "wrong").status_code == 200
    assert attempt(client, url, "edna", "wrong").status_code == 200


def test_a_lockout_ends_with_the_cool_off_window(limit, superuser):
    from axes.models import AccessAttempt

    client = Client()
    url = reverse("admin:login")
    for _ in range(limit):
        attempt(client, url, "root", "wrong")
    assert attempt(client, url, "root", "pw").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert attempt(client, url, "root", "pw").status_code == 302
    assert is_logged_in(client)


def test_logging_in_between_guesses_does_not_reset_the_count(limit, superuser):
    """Someone with one account cannot keep guessing at others by logging in in between."""
    make_user(role="editor", username="mallory", password="own-password")
    client = Client()
    url = reverse("admin:login")
    for _ in range(limit - 1):
        assert attempt(client, url, "root", "guess").status_code == 200
    assert attempt(client, reverse("login"), "mallory", "own-password").status_code == 302
    assert is_logged_in(client)
    client.logout()
    assert attempt(client, url, "root", "guess").status_code == 429


def test_client_ip_behind_a_trusted_proxy_is_not_forgeable(rf, settings):
    from newsroom.security import client_ip_address

    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip_address(request) == "10.9.9.9"

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip_address(request) == "203.0.113.7"


# --- untrusted text --------------------------------------------------------------------------

HOSTILE = '<script>alert("t")</script><img src=x onerror=alert(1)>'


def test_hostile_seed_text_reaches_every_page_as_text_not_html(client, editor_client):
    from curation.models import Article
    from curation.tests.factories import make_article

    article = make_article(
        title=HOSTILE, excerpt=HOSTILE, body=HOSTILE + "\n\nSecond paragraph " + HOSTILE,
        topics=["<b>topic</b>"], images=["https://img.example/a.jpg"],
        related=[{"title": HOSTILE, "web_url": "https://other.example/x", "excerpt": HOSTILE}],
        state=Article.State.PUBLISHED,
    )
    pages = [
        (editor_client, reverse("curation:queue") + "?state=all"),
        (editor_client, reverse("curation:article-detail", args=[article.pk])),
        (client, reverse("public:home")),
        (client, reverse("public:article", args=[article.pk])),
    ]
    for page_client, url in pages:
        response = page_client.get(url, follow=True)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "&lt;script&gt;" in html, url
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "<b>topic</b>" not in html, url
