"""Shared by scripts/demo.py and scripts/test.py: a project virtualenv with the pinned packages.

Only the standard library here: these scripts run with the machine's bare python3.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"


def ensure_venv(requirements):
    """Create .venv if needed and install `requirements` when the file changed since last time."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs under whatever python3 the machine has
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    requirement_files = [ROOT / requirements] + ([ROOT / "requirements.txt"] if requirements != "requirements.txt" else [])
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in requirement_files)).hexdigest()
    stamp = VENV / f".installed-{Path(requirements).stem}"
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"Installing {requirements} ...", flush=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(ROOT / requirements)], check=True)
        stamp.write_text(digest)


def manage(*args, env=None):
    return subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True)


def dev_environment():
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    return env
