"""What an operator's command loads before it starts: not the web side."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

# Runs `import_seeds` as manage.py does, then says which web modules the process loaded.
PROBE = """
import sys
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "import_seeds", sys.argv[1]])
print("loaded:", sorted(name for name in ("newsroom.urls", "curation.views", "curation.public.views") if name in sys.modules))
"""


@pytest.mark.slow
def test_an_import_run_from_cron_does_not_load_the_web_side(tmp_path):
    """Django's system checks import the URL configuration and every view before a command
    runs; the project's commands leave them to `manage.py check --deploy` at deploy time
    (docs/deployment.md), so that an import run every few minutes starts on what it uses."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "startup-test-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "localhost",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True, timeout=120)
    empty = tmp_path / "seeds"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(empty)], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "0 files: 0 created" in result.stdout
    assert "loaded: []" in result.stdout
    # --skip-checks, which Django drops from commands that run no checks, is still accepted:
    # scripts written when the commands ran them pass it.
    skipping = subprocess.run(
        [sys.executable, "manage.py", "import_seeds", str(empty), "--skip-checks"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert skipping.returncode == 0, skipping.stderr
