"""Write articles back as seed files into OUTDIR, with `published` and editors' edits applied.
Merged body-only items are left out (their text lives in their article). Exit status: 0
every article written, 1 some article could not be, 2 OUTDIR cannot be written, 130
interrupted (Ctrl-C), 143 stopped by SIGTERM (the files written stay; a rerun writes all).
"""

from django.core.management.base import CommandError

from curation import stopping
from curation.management.base import CurationCommand
from curation.models import Article
from curation.services.exporting import ExportInterrupted, export_seeds, import_folders_holding
from curation.services.importing import escape_controls


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "nothing was written yet; run the export again"

    def add_arguments(self, parser):
        parser.add_argument("outdir", metavar="OUTDIR")
        parser.add_argument("--published-only", action="store_true", help="export only what readers can see now (live: not scheduled for later, expired or under embargo)")

    def handle(self, *args, **options):
        if not options["outdir"]:
            # An unset shell variable ("$OUTDIR"): Path("") is the working folder, which got every file.
            raise CommandError("OUTDIR is empty: name the folder to write to", returncode=2)
        queryset = Article.objects.live() if options["published_only"] else Article.objects.all()
        for folder, run_id in import_folders_holding(options["outdir"])[:1]:
            self.stderr.write(
                f"warning: {escape_controls(options['outdir'])} is inside {escape_controls(folder)}, which import run "
                f"{run_id} read: importing that folder again reads these copies too, and each fails as the same "
                "article as its source file (export elsewhere, or import the source folders alone)"
            )
        try:
            report = export_seeds(options["outdir"], queryset=queryset)
        except (FileExistsError, NotADirectoryError):
            # mkdir's own words were "File exists" for `export_seeds /dev/null` or a file's name.
            raise CommandError(
                f"cannot write to {options['outdir']}: it, or a folder above it, is a file, not a folder", returncode=2
            ) from None
        except OSError as exc:
            raise CommandError(f"cannot write to {options['outdir']}: {exc.strerror or exc}", returncode=2) from None
        except ExportInterrupted as exc:
            written = len(exc.report.written)
            kept = (
                f"the {written:,} {'article' if written == 1 else 'articles'} written to {options['outdir']} before it "
                f"{'stays' if written == 1 else 'stay'}, each file whole"
                if written
                else f"nothing was written to {options['outdir']} yet"
            )
            raise CommandError(
                f"the export stopped ({stopping.signal_name(exc.interrupt)}): {kept} (the file being written was "
                "removed); run the export again to write them all",
                returncode=stopping.exit_status(exc.interrupt),
            ) from None
        for article_id, reason in report.failed:
            self.stderr.write(f"article {article_id}: {reason}")
        if options["verbosity"] >= 2:
            for article_id, path in report.written:
                self.stdout.write(f"article {article_id} -> {path}")
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Exported {len(report.written)} articles to {options['outdir']}."))
        if report.failed:
            raise CommandError(f"{len(report.failed)} articles could not be exported", returncode=1)
