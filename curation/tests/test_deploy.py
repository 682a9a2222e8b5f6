"""The deployment checklist: with production variables set, Django's own deploy checks pass."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
STRONG_KEY = "k8#Qz!w2vR7@pL5^mN0&xT3*yU6(oI9)aS4-dF1=gH8+jK2_lZ5e"

pytestmark = pytest.mark.slow


def check_deploy(**env_vars):
    # Start from the caller's environment without any DJANGO_* setting, so the result
    # depends only on what this test sets (as on a fresh server).
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_production_variables():
    result = check_deploy(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="news.example,www.news.example"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


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
