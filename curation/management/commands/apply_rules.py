"""Run the enabled triage rules (or one, with --rule) over the queue's items no editor has acted
on. Stops after RULES_MAX_DECISIONS actions (--max-decisions) and says so.
"""


from django.core.management.base import CommandError

from curation.management.base import CurationCommand
from curation.management.options import add_report_options
from curation.models import Rule
from curation.services import rules
from curation.services.importing import escape_controls


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "the decisions made before it stay, each with its audit row; run apply_rules again for the rest"

    def add_arguments(self, parser):
        parser.add_argument("--rule", action="append", metavar="NAME", help="run this rule only, enabled or not (repeatable)")
        add_report_options(parser, dry_run="say what the rules would do; write nothing", json="print decisions and counts")
        parser.add_argument(
            "--max-decisions", type=int, default=None, metavar="N", help="stop after this many actions (default: RULES_MAX_DECISIONS)"
        )

    def handle(self, *args, **options):
        names = options["rule"]
        if names:
            missing = sorted(set(names) - set(Rule.objects.filter(name__in=names).values_list("name", flat=True)))
            if missing:
                raise CommandError(f"no rule named {', '.join(map(repr, missing))}", returncode=2)
        cap = options["max_decisions"]
        if cap is not None and cap < 1:
            raise CommandError("--max-decisions must be at least 1", returncode=2)
        result = rules.run_on_queue(rule_names=names, cap=cap, dry_run=options["dry_run"])
        if options["json"]:
            self.write_json(result.as_dict())
        else:
            if result.disabled:
                self.stdout.write(self.style.WARNING(f"No rule ran: {result.disabled}."))
            for decision in result.decisions if options["verbosity"] >= 2 else ():
                self.stdout.write(f"article {decision['article']}: {decision['action']} by “{escape_controls(decision['rule'])}”")
            verb = "would act" if result.dry_run else "acted"
            for name, counts in result.counts.items():
                self.stdout.write(f"“{escape_controls(name)}” {verb}: " + ", ".join(f"{n} {action}" for action, n in counts.items()))
            if not result.counts and not result.disabled:
                self.stdout.write("No item matched.")
            if result.skipped:
                self.stdout.write(f"{len(result.skipped)} skipped (an editor acted meanwhile, or the item no longer allows it).")
        for error in result.errors:
            self.stderr.write(escape_controls(error))
        if result.stopped:
            self.stderr.write(escape_controls(result.stopped))
