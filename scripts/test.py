#!/usr/bin/env python3
"""Run the full test suite:

    python3 scripts/test.py [pytest arguments ...]

Creates .venv and installs requirements-dev.txt when needed, then runs pytest. The database
is SQLite in memory unless DATABASE_URL names another (e.g. postgres://postgres@127.0.0.1:5432/test).
Browser tests use /usr/bin/chromium (or CHROMIUM_PATH) and skip without it, unless
REQUIRE_BROWSER=1; PostgreSQL-only tests skip without a server, unless REQUIRE_POSTGRES=1;
the two-server test also needs Redis at 127.0.0.1:6379 and skips without it, unless REQUIRE_REDIS=1.
"""

import subprocess
import sys

from _venv import PYTHON, ROOT, ensure_venv


def main():
    ensure_venv("requirements-dev.txt")
    return subprocess.run([str(PYTHON), "-m", "pytest", *sys.argv[1:]], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
