"""Print every triage rule, in order, as YAML (the format load_rules reads).
"""

from django.core.management.base import BaseCommand

from curation.services import rule_files


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        self.stdout.write(rule_files.dump(), ending="")
