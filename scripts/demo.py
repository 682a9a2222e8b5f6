#!/usr/bin/env python3
"""Set everything up and run the app on SQLite with sample data:

    python3 scripts/demo.py [--port 8000] [--no-server]

Creates .venv, installs requirements.txt, migrates db.sqlite3, imports fixtures/seeds and
the real seeds, creates the demo accounts (printed below) and starts the development server.
Safe to run again: unchanged seeds are skipped and the accounts are reset.
"""

import argparse
import os
import subprocess
import sys

from _venv import PYTHON, ROOT, dev_environment, ensure_venv, manage


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    parser.add_argument("--no-server", action="store_true", help="set up, then stop instead of serving")
    args = parser.parse_args()

    ensure_venv("requirements.txt")
    env = dev_environment()
    manage("migrate", "--verbosity", "0", env=env)
    manage("import_seeds", "--no-progress", "fixtures/seeds", "fixtures/real-seeds", env=env)
    manage("setup_demo", "--port", str(args.port), env=env)
    if args.no_server:
        return
    try:
        subprocess.run([str(PYTHON), "manage.py", "runserver", f"127.0.0.1:{args.port}"], cwd=ROOT, env=env, check=False)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
