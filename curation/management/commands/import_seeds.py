"""Import seed files (YAML front matter + body). PATH is a file or a folder, walked recursively
for *.txt and *.md. Unchanged files are skipped; each file gets a ledger row. Exit status: 0
all imported or unchanged, 1 some files failed, a step after the files failed or the database
took no more writes, 2 usage error, 130 interrupted (Ctrl-C), 143 stopped by SIGTERM; an
interrupted import is finished by running it again.
"""

import sys
import time

from django.core.management.base import CommandError

from curation.management.base import CurationCommand
from curation.management.options import add_report_options
from curation.services.importing import (
    DEFAULT_BATCH_SIZE,
    MAX_WORKERS,
    ImportInterrupted,
    ImportOptionError,
    ImportStoppedError,
    MissingPathError,
    default_workers,
    escape_controls,
    import_seed_files,
)


def story_summary(stories):
    text = (
        f"Stories: {stories['items']} items clustered; {stories['stories_created']} stories created, "
        f"{stories['stories_changed']} changed, {stories['stories_removed']} removed"
    )
    if stories["capped"]:
        text += f"; {len(stories['capped'])} reached the cap of {stories['cap']} articles (stories {', '.join(map(str, stories['capped'][:10]))})"
    return text + "."


def rule_summary(rules):
    if rules["disabled"]:
        return f"Rules: none ran ({rules['disabled']})."
    # A rule's name is stored text (a rules file may put a newline or an escape in it).
    acted = "; ".join(
        f"{escape_controls(name)}: " + ", ".join(f"{count} {action}" for action, count in actions.items())
        for name, actions in rules["counts"].items()
    )
    text = f"Rules: {acted or 'no item matched'}"
    if rules["source_changed_flags"]:
        text += f"; {rules['source_changed_flags']} items a rule decided were changed by the source and flagged"
    if rules["stopped"]:
        text += f"; {escape_controls(rules['stopped'])}"
    for error in rules["errors"]:
        text += f"; {escape_controls(error)}"
    return text + "."


class ProgressBar:
    """A one-line progress bar on a terminal; silent when output is not a terminal."""

    def __init__(self, stream, width=30):
        self.stream = stream
        self.width = width
        self.started = time.monotonic()

    def __call__(self, done, total):
        filled = int(self.width * done / total) if total else self.width
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{total:,} files  {rate:,.0f} files/s"
        )
        self.stream.flush()

    def finish(self):
        self.stream.write("\n")
        self.stream.flush()


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "nothing was written yet; run the import again"

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="seed file or folder")
        add_report_options(parser, dry_run="report what would happen; write nothing", json="print every file's result")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=(
                f"parser processes (default: 1, or {default_workers()} for large imports; at most {MAX_WORKERS}; "
                "0 = parse in this process, without protection against a parser crash)"
            ),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="files written per transaction (default: %(default)s)",
        )
        parser.add_argument(
            "--max-bytes", type=int, default=None, help="refuse larger files (default: SEED_MAX_BYTES; from 1 to 1 GiB)"
        )
        parser.add_argument(
            "--follow-links",
            action="store_true",
            help="follow symbolic links that lead out of the folders given (refused by default)",
        )
        parser.add_argument(
            "--no-rules",
            action="store_true",
            help="do not run the triage rules on the new items (apply_rules can, later)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
        parser.add_argument(
            "--no-stories",
            action="store_true",
            help="do not cluster the new items into stories (cluster_stories can, later)",
        )

    def handle(self, *paths, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        if options["workers"] is not None and not 0 <= options["workers"] <= MAX_WORKERS:
            raise CommandError(f"--workers must be from 0 to {MAX_WORKERS}", returncode=2)
        progress = None
        if not options["json"] and not options["no_progress"] and sys.stderr.isatty():
            progress = ProgressBar(sys.stderr)
        try:
            report = import_seed_files(
                options["paths"],
                dry_run=options["dry_run"],
                workers=options["workers"],
                batch_size=options["batch_size"],
                max_bytes=options["max_bytes"],
                follow_links=options["follow_links"],
                progress=progress,
                stories=not options["no_stories"],
                rules=not options["no_rules"],
            )
        except MissingPathError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except ImportOptionError as exc:
            # The service checks the range (one rule for every caller); this names the option.
            option = "--max-bytes" if exc.option == "max_bytes" else exc.option
            raise CommandError(f"{option} {exc.problem}", returncode=2) from None
        except ImportStoppedError as exc:
            raise CommandError(escape_controls(str(exc)), returncode=1) from None
        except ImportInterrupted as exc:
            raise CommandError(escape_controls(str(exc)), returncode=exc.exit_status) from None  # 130 or 143
        finally:
            if progress:
                progress.finish()

        counts = report.counts
        # Failures go to stderr either way: with --json, stdout stays one JSON object.
        for result in report.failures:
            # display_path and escape_controls: no file name or reason can start a line of its own.
            self.stderr.write(f"{result.display_path}: {escape_controls(result.error or '')}")
        for error in report.errors:
            self.stderr.write(f"import: {escape_controls(error)}")
        if options["json"]:
            self.write_json(
                {
                    "files": [result.as_dict() for result in report.results],
                    "counts": counts,
                    "dry_run": report.dry_run,
                    "stories": report.stories,
                    "rules": report.rules,
                    "errors": report.errors,
                }
            )
        else:
            self._report(report, options["verbosity"])
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} of {_files(counts['files'])} failed", returncode=1)
        if report.errors:
            raise CommandError(f"the files were imported, but {'; '.join(report.errors)}", returncode=1)

    def _report(self, report, verbosity):
        for result in report.results:
            if result.status != "failed" and (verbosity >= 2 or (verbosity >= 1 and result.notes)):
                line = f"{result.display_path}: {result.status}"
                line += f" (article {result.article_id})" if result.article_id else ""
                self.stdout.write(line)
                for note in result.notes:
                    self.stdout.write(f"  note: {escape_controls(note)}")
        counts = report.counts
        prefix = "Dry run, nothing written. Would import: " if report.dry_run else ""
        summary = (
            f"{prefix}{_files(counts['files'])}: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['failed']} failed."
        )
        if verbosity >= 1:
            style = self.style.ERROR if counts["failed"] else self.style.SUCCESS
            self.stdout.write(style(summary))
            if report.stories is not None:
                self.stdout.write(story_summary(report.stories))
            if report.rules is not None:
                self.stdout.write(rule_summary(report.rules))


def _files(count):
    return f"{count:,} file" if count == 1 else f"{count:,} files"
