"""Write articles back as seed files into OUTDIR, with `published` and editors' edits applied.
Merged body-only items are left out (their text lives in their article).
"""

from django.core.management.base import CommandError

from curation.management.base import CurationCommand
from curation.models import Article
from curation.services.exporting import export_seeds


class Command(CurationCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("outdir", metavar="OUTDIR")
        parser.add_argument("--published-only", action="store_true", help="export only what readers can see now (live: not scheduled for later, expired or under embargo)")

    def handle(self, *args, **options):
        queryset = Article.objects.live() if options["published_only"] else Article.objects.all()
        try:
            report = export_seeds(options["outdir"], queryset=queryset)
        except OSError as exc:
            raise CommandError(f"cannot write to {options['outdir']}: {exc.strerror or exc}", returncode=2) from None
        for article_id, reason in report.failed:
            self.stderr.write(f"article {article_id}: {reason}")
        if options["verbosity"] >= 2:
            for article_id, path in report.written:
                self.stdout.write(f"article {article_id} -> {path}")
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Exported {len(report.written)} articles to {options['outdir']}."))
        if report.failed:
            raise CommandError(f"{len(report.failed)} articles could not be exported", returncode=1)
