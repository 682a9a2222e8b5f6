"""manage.py curation_stats: the statistics page's figures, as text or JSON.

Print the newsroom's figures (the same as /curate/stats/) for a range of days in
STATS_TIME_ZONE. --refresh / --rebuild bring the statistics rollup up to date first.
"""

import datetime as dt
import json

from django.core.management.base import CommandError

from curation import selectors_stats as stats
from curation.management.base import CurationCommand
from curation.management.options import add_report_options
from curation.services import stats_rollup
from curation.services.importing import escape_controls


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "what it counted before stays counted; run it again to count the rest"

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="DATE", help="First day, YYYY-MM-DD (default: 30 days ago).")
        parser.add_argument("--until", metavar="DATE", help="Last day, included, YYYY-MM-DD (default: today).")
        add_report_options(parser, json="Print the figures as JSON (the page's data endpoint).")
        parser.add_argument("--refresh", action="store_true", help="Count every new log row into the rollup first.")
        parser.add_argument("--rebuild", action="store_true", help="Count the logs again from the start first.")
        parser.add_argument("--no-figures", action="store_true", help="Only refresh or rebuild; print nothing else.")

    def handle(
        self, *args, since=None, until=None, json=False, refresh=False, rebuild=False, no_figures=False, **options
    ):
        params = {name: [value] for name, value in (("from", since), ("to", until)) if value}
        try:
            r = stats.parse_range(params)
        except stats.StatsRangeError as exc:
            raise CommandError(str(exc).replace("“from”", "--since").replace("“to”", "--until")) from None
        if rebuild:
            stats_rollup.rebuild_start()
        left = stats_rollup.refresh(max_rows=None if (refresh or rebuild) else 1_000_000)
        if no_figures:
            if options["verbosity"] >= 1:
                self.stdout.write(self.style.SUCCESS("Statistics rollup up to date."))
            return
        figures = stats.all_figures(r)
        if json:
            self.stdout.write(_json(r, figures))
            return
        self.stdout.write(f"Figures for {r.start} to {r.end} (days in {stats.display_zone()})")
        if any(left.values()):
            self.stderr.write(f"The rollup has {sum(left.values())} log rows still to count (run with --refresh).")
        for figure in figures:
            self.stdout.write("")
            self.stdout.write(self.style.MIGRATE_HEADING(figure["title"]))
            columns, rows = stats.table(figure)
            self.stdout.write(_text_table(columns, rows))
            if figure.get("note"):
                self.stdout.write(figure["note"])


def _json(r, figures):
    return json.dumps(
        {"from": r.start.isoformat(), "to": r.end.isoformat(), "figures": figures},
        indent=1,
        default=lambda value: value.isoformat() if isinstance(value, dt.date) else str(value),
    )


def _text_table(columns, rows):
    # Labels are stored names (a rule's, an editor's, a rejection reason's): one line of
    # printable text each, so that none can break the table or drive the terminal.
    cells = [[escape_controls(str(c)) for c in columns]]
    cells += [["–" if v is None else escape_controls(str(v)) for v in row] for row in rows]
    widths = [max(len(row[n]) for row in cells) for n in range(len(columns))]
    lines = [
        "  ".join(
            cell.ljust(w) if n == 0 else cell.rjust(w) for n, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    if not rows:
        lines.append("(nothing in this range)")
    return "\n".join(lines)
