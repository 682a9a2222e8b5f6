"""Load triage rules from a YAML file (see dump_rules). The whole file is validated first and
loaded in one transaction: a bad file changes nothing, and the error names the rule and field.
Rules are matched by name; the file's order becomes the rules' order.
"""

import os
import stat

from django.core.management.base import CommandError

from curation.management.base import CurationCommand
from curation.services import rule_files
from curation.services.importing import display_path, escape_controls


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "nothing was loaded (a rules file loads in one transaction); run it again"

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="a YAML rules file ('-' for standard input)")
        parser.add_argument("--replace", action="store_true", help="delete the rules the file does not name")

    def handle(self, *args, **options):
        name = options["file"]
        try:
            if name == "-":
                import sys

                data = sys.stdin.buffer.read(rule_files.MAX_FILE_BYTES + 1)
            else:
                # Non-blocking, and only a regular file: opening a FIFO would wait for a
                # writer forever, and a device never ends.
                descriptor = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
                with open(descriptor, "rb") as handle:
                    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                        raise CommandError(f"{display_path(name)}: is not a regular file", returncode=2)
                    data = handle.read(rule_files.MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{display_path(name)}: {exc.strerror or exc}", returncode=2) from None
        try:
            summary = rule_files.load(data, replace=options["replace"])
        except rule_files.RulesFileError as exc:
            raise CommandError(f"{display_path(name)}: nothing loaded: {exc}") from None
        parts = [f"{len(summary[key])} {key}" for key in ("created", "changed", "unchanged", "deleted")]
        self.stdout.write(self.style.SUCCESS("Rules loaded: " + ", ".join(parts) + "."))
        for note in summary["renamed"]:
            self.stdout.write(f"note: {escape_controls(note)}")
        for rule in summary["matches_everything"]:
            self.stderr.write(f"warning: rule “{escape_controls(rule)}” has no conditions: it matches every item in the queue")
