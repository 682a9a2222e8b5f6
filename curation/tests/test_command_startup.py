"""What an operator's command loads before it starts: not the web side."""

import importlib.util
import os
import subprocess
import sys

import django.core.management
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


def test_ctrl_c_while_a_command_is_loading_is_one_line_not_a_traceback(monkeypatch, capsys):
    """Ctrl-C in the seconds Django takes to load (pressed at once, a folder mistyped)
    printed a KeyboardInterrupt traceback through the imports under way."""
    spec = importlib.util.spec_from_file_location("manage", settings.BASE_DIR / "manage.py")
    manage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manage)

    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(django.core.management, "execute_from_command_line", interrupted)
    monkeypatch.setattr(sys, "argv", ["manage.py", "import_seeds", "/seeds"])
    try:
        manage.main()
    except KeyboardInterrupt:  # caught here: left to pytest, it would end the whole run
        pytest.fail("Ctrl-C while loading left manage.py as a traceback")
    except SystemExit as stopped:
        assert stopped.code == 130
    else:
        pytest.fail("manage.py went on after Ctrl-C")
    assert capsys.readouterr().err == "import_seeds stopped (Ctrl-C)\n"
