"""Options the management commands share, so that each means the same in every command."""


def add_report_options(parser, *, dry_run=None, json=None):
    """--dry-run: do the work and say what it would change, write nothing; --json: print one
    JSON object on stdout instead of the text report. Each help says what it means here."""
    if dry_run:
        parser.add_argument("--dry-run", action="store_true", help=dry_run)
    if json:
        parser.add_argument("--json", action="store_true", help=json)
