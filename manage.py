#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    """Run administrative tasks."""
    argv = sys.argv
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'newsroom.settings')
    try:
        try:
            from django.core.management import execute_from_command_line
        except ImportError as exc:
            raise ImportError(
                "Couldn't import Django. Are you sure it's installed and "
                "available on your PYTHONPATH environment variable? Did you "
                "forget to activate a virtual environment?"
            ) from exc
        execute_from_command_line(argv)
    except KeyboardInterrupt:
        # Ctrl-C before a command's own handling began: while Django and the command load,
        # a second or more on a busy machine, it printed a traceback of the imports under
        # way. The project's commands say themselves what a stop leaves (management/base.py).
        sys.stderr.write(f"{argv[1] if len(argv) > 1 else 'manage.py'} stopped (Ctrl-C)\n")
        sys.exit(130)


if __name__ == '__main__':
    main()
