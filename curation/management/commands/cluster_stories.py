"""Gather articles into stories. Without options, clusters the articles never clustered (an
import interrupted before its end or whose clustering failed, rows from before stories existed); --since HOURS re-clusters what was
imported in that time; --rebuild recomputes every story, keeping every editor's decision.
"""

import datetime as dt

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from curation.management.base import CurationCommand
from curation.management.options import add_report_options
from curation.selectors_stories import stories_listing
from curation.services import stories

# A thousand years: beyond, "now minus HOURS" is not a date (OverflowError, a traceback).
MAX_SINCE_HOURS = 1000 * 366 * 24


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "nothing it did is kept (clustering is one transaction, rolled back); run cluster_stories again"

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", type=float, metavar="HOURS", help="re-cluster the articles imported in the last HOURS"
        )
        parser.add_argument("--rebuild", action="store_true", help="recompute every story from the articles' text")
        add_report_options(
            parser,
            dry_run="compute and report, then roll everything back",
            json='print {"stories": [{"id", "lead", "articles"}, ...], "counts": {...}} for every story of two or more articles',
        )

    def handle(self, *args, **options):
        if options["rebuild"] and options["since"] is not None:
            raise CommandError("--rebuild recomputes everything; it takes no --since", returncode=2)
        if options["since"] is not None and not 0 < options["since"] <= MAX_SINCE_HOURS:  # NaN fails too
            raise CommandError(f"--since takes a positive number of hours, at most {MAX_SINCE_HOURS:,}", returncode=2)
        with transaction.atomic():
            if options["rebuild"]:
                run = stories.rebuild(progress=self._progress if options["verbosity"] >= 2 else None)
            else:
                since = timezone.now() - dt.timedelta(hours=options["since"]) if options["since"] is not None else None
                run = stories.catch_up(since=since)
            listing = stories_listing() if options["json"] else None
            if options["dry_run"]:
                transaction.set_rollback(True)
        counts = {**run.as_dict(), "dry_run": options["dry_run"]}
        if options["json"]:
            counts["stories"] = len(listing)
            self.write_json({"stories": listing, "counts": counts})
            return
        if options["verbosity"] >= 1:
            prefix = "Dry run, nothing written. " if options["dry_run"] else ""
            self.stdout.write(self.style.SUCCESS(prefix + run.summary() + f" ({run.seconds:.1f} s)"))

    def _progress(self, done, total):
        self.stdout.write(f"{done:,}/{total:,} articles")
