"""The base of the project's management commands."""

import argparse
import codecs
import io
import json
import os
import sys
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from curation import stopping
from curation.services import transactions


class CurationCommand(BaseCommand):
    """A command whose database takes no writes at all (read-only, a full disk, a write lock
    another process held past the wait, a lost server) ends with one line saying so and exit
    status 1, as any other refusal does, instead of a traceback. Whatever the command wrote
    before in transactions of its own stays (each command's help says what those are).

    A reader that goes away (`import_ledger --run 3 | head`) ends the command quietly with
    status 141, as a shell tool ended by SIGPIPE, not with a BrokenPipeError traceback.

    Ctrl-C and SIGTERM (systemd, `docker stop`, `timeout`) stop a command alike: the
    transaction it was in is rolled back, and one line says so, with `stopped_leaves`, what
    stays and what running it again does; exit status 130 or 143, as a shell reports for a
    process the signal ended. A command whose service says more (the import's counts) raises
    its own CommandError with that status (`stopping.exit_status`).

    An output that is not UTF-8 (a server's locale in ISO-8859-1, PYTHONIOENCODING=latin-1)
    gets what it cannot encode as Python's escapes (`\\u65e5`), and JSON in JSON's own, not a
    UnicodeEncodeError after the work is done (`write_json`)."""

    # What a stopped run leaves and what a rerun does: each command that writes says its own.
    stopped_leaves = "it writes nothing"

    # Django's system checks (URL configuration, admin classes, templates, security
    # settings) are a deploy's business: `manage.py check --deploy` runs them there
    # (docs/deployment.md). These commands run from cron and timers, many times a day, and
    # use none of what is checked; the checks import every view and admin module first, a
    # large part of a short run's start. Django's own `shell` and `dbshell` skip them too.
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django drops --skip-checks from commands that run no checks; scripts and units
        # written when these commands ran them pass it still, and must keep working.
        parser.add_argument("--skip-checks", action="store_true", help=argparse.SUPPRESS)
        return parser

    def execute(self, *args, **options):
        with stopping.sigterm_raises(), _escaping_what_cannot_be_encoded(options):
            options["stdout"] = output = _Output(options.get("stdout") or sys.stdout)
            try:
                try:
                    return super().execute(*args, **options)
                finally:
                    output.flush()  # what is still buffered meets a full disk here, not at exit
            except BrokenPipeError:
                # Python would try again to flush stdout at exit, and print a second error.
                _silence_stdout()
                sys.exit(141)
            except OutputLost as exc:
                if output.stream is sys.stdout:
                    _silence_stdout()
                # A refusal the command was ending with (the flush above ran as it left)
                # keeps its exit status.
                stopped = exc.__context__
                while stopped is not None and not isinstance(stopped, CommandError):
                    stopped = stopped.__context__
                returncode = stopped.returncode if stopped is not None else 1
                raise CommandError(
                    f"the report could not be written to standard output: {exc.reason}", returncode=returncode
                ) from None
            except DatabaseError as exc:
                if (interrupt := stopping.interrupt_behind(exc)) is not None:
                    raise self._stopped_by(interrupt) from None
                reason = transactions.cannot_write(exc)
                if reason is None:
                    raise
                raise CommandError(f"stopped: {reason}", returncode=1) from None
            except KeyboardInterrupt as exc:
                raise self._stopped_by(exc) from None

    def _stopped_by(self, interrupt):
        message = f"{self._name()} stopped ({stopping.signal_name(interrupt)}): {self.stopped_leaves}"
        return CommandError(message, returncode=stopping.exit_status(interrupt))

    def write_json(self, value):
        """One JSON object on stdout: non-ASCII text as itself where the output takes UTF-8,
        as JSON escapes elsewhere (a Python escape there, `\\xe9`, would not be JSON)."""
        self.stdout.write(json.dumps(value, ensure_ascii=not _takes_unicode(self.stdout._out)))

    def _name(self):
        return self.__module__.rsplit(".", 1)[-1]


class OutputLost(Exception):  # noqa: N818 - named for what happened, as KeyboardInterrupt is
    """stdout refused a write: a full disk under `> report.json`, a terminal gone. Not an
    OSError, so that no command's own `except OSError` (the export's) takes it for its own."""

    def __init__(self, error):
        super().__init__(error)
        self.reason = error.strerror or str(error)


class _Output:
    """A command's stdout, whose refused writes raise OutputLost: the work was done (an
    import's files written) and the one thing left to say is that its report was lost,
    which an OSError traceback said badly. A reader gone (BrokenPipeError) is left as it is."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        return self._do(self.stream.write, text)

    def flush(self):
        return self._do(self.stream.flush)

    def __getattr__(self, name):
        return getattr(self.stream, name)

    @staticmethod
    def _do(action, *args):
        try:
            return action(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputLost(exc) from None


def _silence_stdout():
    """What stdout still holds is dropped: Python would try again to flush it at exit,
    and print a second error."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _takes_unicode(stream):
    encoding = getattr(stream, "encoding", None)
    return encoding is None or codecs.lookup(encoding).name.startswith("utf")


@contextmanager
def _escaping_what_cannot_be_encoded(options):
    """stdout and stderr as stderr already is by Python's default: a character the
    encoding lacks is written as its escape. A file name, a title or a reason may hold any
    character; the report is what the operator has left of a run."""
    streams = {id(s): s for s in (options.get("stdout") or sys.stdout, options.get("stderr") or sys.stderr)}
    strict = [s for s in streams.values() if isinstance(s, io.TextIOWrapper) and s.errors == "strict"]
    for stream in strict:
        stream.reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        for stream in strict:
            try:
                stream.reconfigure(errors="strict")
            except (OSError, ValueError):  # closed, or its reader gone: nothing more is written
                pass
