"""Show recent import runs, or the files of one run (what came in and what failed).
"""

from django.core.management.base import CommandError

from curation.management.base import CurationCommand
from curation.models import ImportLedgerEntry, ImportRun
from curation.services.importing import escape_controls
from curation.services.importing import runs as import_runs

MAX_LIMIT = 1_000_000


class Command(CurationCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="list the files of this run (default: the list of runs)")
        parser.add_argument("--failed", action="store_true", help="only failed files (of --run, else of all runs)")
        parser.add_argument("--limit", type=int, default=20, help=f"how many rows, 1 to {MAX_LIMIT:,} (default: %(default)s)")

    def handle(self, *args, **options):
        limit = options["limit"]
        # A negative slice (ValueError) or one past 64 bits (the database's error) was a traceback.
        if not 1 <= limit <= MAX_LIMIT:
            raise CommandError(f"--limit takes a number of rows from 1 to {MAX_LIMIT:,}", returncode=2)
        if options["run"] is None and not options["failed"]:
            runs = ImportRun.objects.all()[:limit]
            for run in runs:
                finished = import_runs.describe(run)
                self.stdout.write(
                    f"run {run.pk}  {run.started_at:%Y-%m-%d %H:%M:%S} -> {finished}  "
                    f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, failed {run.failed}  "
                    f"{escape_controls(', '.join(map(str, run.paths)))}"
                )
            if not runs:
                self.stdout.write("No imports yet.")
            return
        entries = ImportLedgerEntry.objects.select_related("run")
        if options["run"] is not None:
            if not ImportRun.objects.filter(pk=options["run"]).exists():
                raise CommandError(f"no import run {options['run']}", returncode=2)
            entries = entries.filter(run_id=options["run"])
        if options["failed"]:
            entries = entries.failed()
        for entry in entries[:limit]:
            # Paths are stored escaped (display_path); rows from before that may hold a newline.
            line = f"{entry.created_at:%Y-%m-%d %H:%M:%S}  {entry.status:9}  {escape_controls(entry.path)}"
            if entry.error:
                line += f": {escape_controls(entry.error)}"
            elif entry.article_id:
                line += f"  (article {entry.article_id})"
            self.stdout.write(line)
