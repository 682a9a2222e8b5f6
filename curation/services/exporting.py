"""Seed export: articles back to seed files, carrying the editorial state.

For an imported file, the exported front matter parses to the same mapping as the source
(every key, unknown ones included) except `published`, which says whether editors published
it, and the fields editors changed, which carry the editor's value. The body is the same text.
"""

import errno
import itertools
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from curation import safeyaml
from curation.models import Article, ArticleState, ImportRun, live_condition
from curation.seedformat.text import BOM, opens_front_matter
from curation.services.importing import seed_limits
from curation.services.importing.discovery import SEED_SUFFIXES

try:
    from yaml import CSafeDumper as SafeDumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper

# Editorial fields and the front-matter keys they are written to.
EDITED_FIELD_KEYS = {
    "title": "title",
    "excerpt": "excerpt",
    "web_url": "webUrl",
    "category": "category",
}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# File systems allow 255 bytes a name; a source name near that (a file named on the command
# line, `.txt` added) stopped the whole export with "File name too long". The names here are
# ASCII, so characters are bytes; room is left for `-N` and the suffix.
MAX_NAME_STEM = 200


@dataclass
class ExportReport:
    written: list = field(default_factory=list)  # [(article_id, path)]
    failed: list = field(default_factory=list)  # [(article_id, reason)]


class ExportInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM (curation.stopping) during an export, with the `report` of what was
    written before: those files stay, each whole; the one being written is removed."""

    def __init__(self, interrupt, report):
        super().__init__()
        self.interrupt = interrupt  # the KeyboardInterrupt or stopping.Terminated itself
        self.report = report


def front_matter_mapping(article):
    """The mapping to export: the source's, with the editorial state laid over it.
    `article.readers_see` is annotated by `export_seeds` (`live_condition`)."""
    mapping = {}
    if article.front_matter_raw:
        limits = seed_limits()
        mapping = (
            safeyaml.load(article.front_matter_raw, max_depth=limits.max_depth, max_nodes=limits.max_yaml_nodes) or {}
        )
    edited = set(article.edited_fields or ())
    for field_name, key in EDITED_FIELD_KEYS.items():
        if field_name in edited:
            mapping[key] = getattr(article, field_name)
    if "topics" in edited:
        mapping["topics"] = sorted(topic.name for topic in article.topics.all())
    if "provider" in edited:
        provider = article.provider
        mapping["provider"] = {"name": provider.name, "domain": provider.domain} if provider else None
    if mapping or article.has_front_matter:
        # Whether readers may see it now: a scheduled item not live yet, an expired one or
        # one under embargo exports as unpublished, so a static site built from it holds them too.
        mapping["published"] = bool(article.readers_see)
    return mapping


def render_seed(article):
    mapping = front_matter_mapping(article)
    if not mapping:
        return _body_only_text(article.body)
    block = yaml.dump(mapping, Dumper=SafeDumper, sort_keys=False, allow_unicode=True, width=1 << 16)
    return f"---\n{block}---\n{article.body}"


def _body_only_text(body):
    """A body-only item's file. The import reads a first line `---` as the start of front
    matter, drops one leading byte order mark and strips the newlines around the text; a
    body that starts with either (a body-only file whose text began after a blank line)
    is written after a blank line, which the import strips, so it reads back as the same body."""
    if body.startswith(BOM) or opens_front_matter(body):
        body = "\n" + body
    return body if body.endswith("\n") or not body else body + "\n"


def export_file_name(article, used):
    """The source file's name when it is free and the import would read it again (a name
    the import finds in a folder: visible, ending in .txt or .md), otherwise one made from
    the id, made unique (the source's name of a later article may be `article-7.txt`)."""
    name = _UNSAFE_NAME.sub("_", os.path.basename(article.source_path or ""))
    if name and Path(name).suffix.lower() not in SEED_SUFFIXES:
        name += ".txt"  # a file named on the command line may have any name
    if len(name) > MAX_NAME_STEM:
        name = name[: MAX_NAME_STEM - len(Path(name).suffix)] + Path(name).suffix
    if not name or name.startswith(".") or name in used:
        suffix = Path(name).suffix if name else ".txt"
        name = f"article-{article.pk}{suffix}"
        for number in itertools.count(2):
            if name not in used:
                break
            name = f"article-{article.pk}-{number}{suffix}"
    used.add(name)
    return name


def export_seeds(outdir, *, queryset=None):
    """Write one seed file per article into `outdir` (created if missing).

    Each file is written to a temporary name and renamed into place, so a reader of the
    folder never sees half a file.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    queryset = Article.objects.all() if queryset is None else queryset
    queryset = (
        queryset.exclude(state=ArticleState.MERGED)
        .annotate(readers_see=ExpressionWrapper(live_condition(timezone.now()), output_field=BooleanField()))
        .select_related("provider")
        .prefetch_related("topics")
    )
    report = ExportReport()
    try:
        _write_all(outdir, queryset, report)
    except KeyboardInterrupt as exc:
        raise ExportInterrupted(exc, report) from None
    return report


def _write_all(outdir, queryset, report):
    used = set()
    for article in queryset.order_by("pk").iterator(chunk_size=500):
        try:
            text = render_seed(article)
        except yaml.YAMLError as exc:
            report.failed.append((article.pk, f"stored front matter cannot be read: {exc}"))
            continue
        target = outdir / export_file_name(article, used)
        entry = (article.pk, str(target))
        if _is_its_source(target, article.source_path):
            report.failed.append((article.pk, f"{target} is the file it was imported from: not replaced ({IN_PLACE_HINT})"))
            continue
        chosen = []  # the temporary file's name, known from before the file exists
        renaming = False
        try:
            handle = _new_hidden_file(outdir, chosen)
            temp_path = chosen[-1]
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as temp_file:
                temp_file.write(text)
            renaming = True  # set before the rename: an interrupt after it finds the file in place
            os.replace(temp_path, target)
            report.written.append(entry)
        except OSError as exc:
            for path in chosen:
                Path(path).unlink(missing_ok=True)
            if exc.errno not in _TARGET_OCCUPIED:
                raise  # a full disk, a read-only folder: every file would fail alike
            report.failed.append((article.pk, f"cannot write {target}: {exc.strerror}"))
            continue
        except BaseException:
            # An interrupt: no half-written file left behind. One that lands just after the
            # rename finds the file whole and in place: it is counted, so the stop message
            # names every file that stays (it said 213 with 214 in the folder). One that
            # lands just after the temporary file is made finds its name in `chosen`.
            # One that lands before the temporary file exists finds no file and no rename:
            # counting it then named one file more than the folder held.
            if chosen and os.path.lexists(chosen[-1]):
                Path(chosen[-1]).unlink(missing_ok=True)
            elif renaming and report.written[-1:] != [entry]:
                report.written.append(entry)
            raise


IN_PLACE_HINT = "export into a folder of its own"


def _is_its_source(target, source_path):
    """Whether `target` is the article's own source file: an export into the folder the
    article was imported from names each file after its source, and replacing it lost the
    file as the source had it (the next import then read the export as a changed source).
    A relative source path is taken from the working folder, as the import took it; one
    that no longer resolves (moved, renamed, escaped in the ledger) is not the target."""
    if not source_path:
        return False
    try:
        return os.path.samefile(target, source_path)
    except (OSError, ValueError):
        return False


def import_folders_holding(outdir, *, runs=1000):
    """[(folder, run id)]: the folders the latest `runs` import runs were given (ImportRun.paths)
    that `outdir` lies inside. Importing such a folder again reads the export's copies too,
    and each fails as the same article as its source file (importing/planning.RunClaims).
    Only absolute paths can be checked: a relative one was relative to a working folder no
    one recorded. A cron job repeats the same paths, so the latest runs name every folder."""
    target = os.path.realpath(outdir)
    latest = {}
    for run_id, paths in ImportRun.objects.order_by("-pk").values_list("pk", "paths")[:runs]:
        for path in paths if isinstance(paths, list) else ():
            if isinstance(path, str) and os.path.isabs(path):
                latest.setdefault(path, run_id)
    holding = []
    for path, run_id in latest.items():
        folder = os.path.realpath(path)
        if os.path.isdir(folder) and os.path.commonpath([folder, target]) == folder:
            holding.append((path, run_id))
    return holding


# A rename refused for what holds the article's name in the folder (a folder of that name,
# a mount point) costs that article alone: it stopped the whole export, naming no file.
_TARGET_OCCUPIED = {errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EBUSY}


def _new_hidden_file(outdir, chosen):
    """A new file for writing, hidden (an import of the folder skips it until it is renamed),
    with the mode any new file gets, 0666 less the umask, as `cp` or a shell redirection
    gives: mkstemp's 0600 made every exported file unreadable to the web server or the
    static-site user the export is for. Its name is put in `chosen` before it is made: a
    SIGTERM that landed between the file's creation and this function's return left a
    `.export-*.tmp` behind (seen once in the full suite), its name known to nobody."""
    for _ in range(100):
        chosen.append(outdir / f".export-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(chosen[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except FileExistsError:
            chosen.pop()  # another's file: never removed here
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(outdir))
