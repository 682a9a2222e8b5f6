"""Record the schedule's boundaries that have passed (items that went live, items that expired)
in the audit log, once each. Run it every minute (cron or a systemd timer). Readers see
scheduled items on time without it: every public read checks the clock; this keeps the
editorial history complete and moves the public ETags on once more. Two runs never overlap (a
PostgreSQL advisory lock; a lock file on SQLite): a run that finds the lock taken does nothing
and exits 0, silently (-v 2 says so).
"""


from curation.db import backend
from curation.management.base import CurationCommand
from curation.management.options import add_report_options
from curation.services.importing import escape_controls
from curation.services.scheduling import due_boundaries, record_due_boundaries

LOCK_NAME = "publish_scheduled"


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "the boundaries recorded before it stay; the next run records the rest"

    def add_arguments(self, parser):
        add_report_options(parser, dry_run="list what would be recorded; write nothing")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if options["dry_run"]:
            boundaries = due_boundaries()
            for boundary in boundaries:
                self.stdout.write(self._line(boundary, "would record"))
            if verbosity >= 1:
                self.stdout.write(f"{len(boundaries)} boundaries due (dry run: nothing written).")
            return
        with backend().exclusive_job(LOCK_NAME) as acquired:
            if not acquired:
                # Quiet at the default verbosity: the same cron entry runs on every app server
                # (docs/deployment.md, section 8), so the runs of two servers meet every so
                # often, and a line here would have cron mail the operator each time.
                if verbosity >= 2:
                    self.stdout.write("Another publish_scheduled run is in progress; nothing done.")
                return
            boundaries = record_due_boundaries()
        if verbosity >= 2:
            for boundary in boundaries:
                self.stdout.write(self._line(boundary, "recorded"))
        if verbosity >= 1 and boundaries:
            went_live = sum(1 for boundary in boundaries if boundary.kind == "went_live")
            self.stdout.write(
                self.style.SUCCESS(f"{went_live} went live, {len(boundaries) - went_live} expired (audit rows written).")
            )

    @staticmethod
    def _line(boundary, verb):
        label = "went live" if boundary.kind == "went_live" else "expired"
        # The title as one line of printable text: an imported title may hold a newline or a
        # terminal's escape sequence, and this line goes to a terminal or to cron's mail.
        title = escape_controls(boundary.title[:80])
        return f"{verb}: #{boundary.article_id} {label} at {boundary.at:%Y-%m-%d %H:%M:%S} UTC: {title}"
