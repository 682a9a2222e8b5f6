"""Print every triage rule, in order, as YAML (the format load_rules reads).
"""


from curation.management.base import CurationCommand
from curation.services import rule_files


class Command(CurationCommand):
    help = __doc__

    def handle(self, *args, **options):
        self.stdout.write(rule_files.dump(), ending="")
