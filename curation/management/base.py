"""The base of the project's management commands."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from curation.services import transactions


class CurationCommand(BaseCommand):
    """A command whose database takes no writes at all (read-only, a full disk, a write lock
    another process held past the wait, a lost server) ends with one line saying so and exit
    status 1, as any other refusal does, instead of a traceback. Whatever the command wrote
    before in transactions of its own stays (each command's help says what those are).

    A reader that goes away (`import_ledger --run 3 | head`) ends the command quietly with
    status 141, as a shell tool ended by SIGPIPE, not with a BrokenPipeError traceback."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except BrokenPipeError:
            # Python would try again to flush stdout at exit, and print a second error.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except DatabaseError as exc:
            reason = transactions.cannot_write(exc)
            if reason is None:
                raise
            raise CommandError(f"stopped: {reason}", returncode=1) from None
