"""The deployment checklist: with production variables set, Django's own deploy checks pass."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(settings.BASE_DIR)
STRONG_KEY = "k8#Qz!w2vR7@pL5^mN0&xT3*yU6(oI9)aS4-dF1=gH8+jK2_lZ5e"

pytestmark = pytest.mark.slow


def check_deploy(**env_vars):
    # Start from the caller's environment without any DJANGO_* setting, so the result
    # depends only on what this test sets (as on a fresh server).
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_") and key != "REDIS_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_production_variables():
    result = check_deploy(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="news.example,www.news.example",
        REDIS_URL="redis://127.0.0.1:6379/0",  # read, not connected to, by the checks
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_says_that_without_redis_only_one_worker_process_keeps_the_editors_undo():
    result = check_deploy(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="news.example")
    assert result.returncode != 0
    assert "curation.W001" in result.stderr and "Undo" in result.stderr and "--workers 1" in result.stderr


def test_check_deploy_fails_with_a_weak_secret_key():
    result = check_deploy(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="short", DJANGO_ALLOWED_HOSTS="news.example")
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_fails_with_debug_on():
    result = check_deploy(DJANGO_DEBUG="1", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="news.example")
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_production_without_allowed_hosts_is_reported():
    result = check_deploy(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "security.W020" in result.stderr


def load_settings(monkeypatch, **env_vars):
    for name, value in env_vars.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "newsroom" / "settings.py"))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        # int() raised a bare ValueError; a negative age was taken.
        ("DJANGO_CONN_MAX_AGE", "abc", "DJANGO_CONN_MAX_AGE must be a whole number, not 'abc'"),
        ("DJANGO_CONN_MAX_AGE", "-5", "DJANGO_CONN_MAX_AGE must be at least 0, not -5"),
        # The ETag divides the clock by it: 0 made every public page a 500 (ZeroDivisionError).
        ("PUBLIC_ETAG_REFRESH_SECONDS", "0", "PUBLIC_ETAG_REFRESH_SECONDS must be at least 1, not 0"),
        ("PUBLIC_CACHE_SECONDS", "-10", "PUBLIC_CACHE_SECONDS must be at least 0, not -10"),
        ("PUBLIC_RESPONSE_CACHE_SECONDS", "-1", "PUBLIC_RESPONSE_CACHE_SECONDS must be at least 0, not -1"),
        ("PUBLIC_RESPONSE_CACHE_ENTRIES", "0", "PUBLIC_RESPONSE_CACHE_ENTRIES must be at least 1, not 0"),
        # A failure limit of 0 refused every login (axes locks out at failures >= limit).
        ("DJANGO_AXES_FAILURE_LIMIT", "0", "DJANGO_AXES_FAILURE_LIMIT must be at least 1, not 0"),
        # A cool-off of -1 lifted every lockout at once: throttling silently off.
        ("DJANGO_AXES_COOLOFF_MINUTES", "-1", "DJANGO_AXES_COOLOFF_MINUTES must be at least 1, not -1"),
        ("DJANGO_TRUSTED_PROXY_COUNT", "-1", "DJANGO_TRUSTED_PROXY_COUNT must be at least 0, not -1"),
        ("DJANGO_SECURE_HSTS_SECONDS", "-1", "DJANGO_SECURE_HSTS_SECONDS must be at least 0, not -1"),
        ("STATS_REFRESH_ROWS_PER_REQUEST", "-1", "STATS_REFRESH_ROWS_PER_REQUEST must be at least 0, not -1"),
        # The error named STATS_TIME_ZONE, a variable the operator had not set.
        ("DJANGO_TIME_ZONE", "Mars/Base", "DJANGO_TIME_ZONE 'Mars/Base' is not a known time zone"),
        # logging's "Unable to configure logger 'django'" said nothing of the variable.
        ("DJANGO_LOG_LEVEL", "LOUD", "DJANGO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'"),
    ],
)
def test_a_documented_variable_out_of_range_stops_the_process_with_a_clear_error(monkeypatch, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=f"^{re.escape(message)}$"):
        load_settings(monkeypatch, **{name: value})


def test_the_bounds_still_take_the_documented_values(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        DJANGO_CONN_MAX_AGE="0",
        PUBLIC_ETAG_REFRESH_SECONDS="1",
        PUBLIC_CACHE_SECONDS="0",
        PUBLIC_RESPONSE_CACHE_SECONDS="0",
        DJANGO_AXES_FAILURE_LIMIT="1",
        DJANGO_TRUSTED_PROXY_COUNT="0",
        DJANGO_TIME_ZONE="Europe/Berlin",
        DJANGO_LOG_LEVEL="debug",
    )
    assert loaded["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    assert (loaded["PUBLIC_ETAG_REFRESH_SECONDS"], loaded["PUBLIC_CACHE_SECONDS"]) == (1, 0)
    assert loaded["AXES_FAILURE_LIMIT"] == 1 and loaded["TIME_ZONE"] == "Europe/Berlin"
    assert loaded["STATS_TIME_ZONE"] == "Europe/Berlin" and loaded["LOG_LEVEL"] == "DEBUG"
