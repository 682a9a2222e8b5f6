"""The server log prints each line once (the demo printed every warning twice)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (
    "import django, logging; django.setup(); "
    "logging.getLogger('django.request').warning('Not Found: /nowhere'); "
    "logging.getLogger('curation').warning('a curation warning')"
)


def test_each_log_line_is_printed_once_in_debug():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings", "DJANGO_DEBUG": "1"}
    env.pop("DJANGO_LOG_LEVEL", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /nowhere") == 1, result.stderr
    assert result.stderr.count("a curation warning") == 1, result.stderr
