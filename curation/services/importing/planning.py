"""What each file of a batch needs: skipped by its hash, created, updated, or unchanged.

The outcome of every file is a `FileResult`; a run's is an `ImportReport`. Planning reads
the database (by file hash before parsing, by identity after) and writes nothing.
"""

from dataclasses import dataclass, field

from curation.models import Article, ImportStatus
from curation.seedformat import url_key
from curation.services.importing.claims import ClaimTable
from curation.services.importing.discovery import display_path


@dataclass
class FileResult:
    path: str
    status: str
    article_id: int | None = None
    error: str | None = None
    notes: list = field(default_factory=list)
    size: int | None = None
    sha256: str = ""

    @classmethod
    def of(cls, seed_file, status, **values):
        """The result for a SeedFile, with its size and hash."""
        return cls(path=seed_file.path, status=status, size=seed_file.size, sha256=seed_file.sha256, **values)

    @property
    def display_path(self):
        return display_path(self.path)

    def as_dict(self):
        return {"path": self.display_path, "status": str(self.status), "article": self.article_id, "error": self.error}


@dataclass
class ImportReport:
    results: list = field(default_factory=list)
    run_id: int | None = None
    dry_run: bool = False
    stories: dict | None = None  # what clustering the run's items did (services.stories.StoryRun)
    rules: dict | None = None  # what the triage rules did to the new items (services.rules)
    # Steps after the files that failed (clustering, rules): the run still exits with status 1.
    errors: list = field(default_factory=list)

    @property
    def counts(self):
        counts = {"files": len(self.results)}
        for status in ImportStatus.values:
            counts[status] = 0
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def failures(self):
        return [result for result in self.results if result.status == ImportStatus.FAILED]


def sort_read_files(seed_files):
    """Split a batch of read SeedFiles: (results decided before parsing: unreadable files,
    and files whose bytes match an article's last import, which are never parsed;
    [(index, bytes)] to parse)."""
    known = {}
    hashes = {seed_file.sha256 for seed_file in seed_files if seed_file.data is not None}
    if hashes:
        known = dict(Article.objects.with_file_hashes(hashes).values_list("source_sha256", "pk"))
    early, to_parse = [], []
    for index, seed_file in enumerate(seed_files):
        if seed_file.error:
            early.append(FileResult.of(seed_file, ImportStatus.FAILED, error=seed_file.error))
        elif seed_file.sha256 in known:
            early.append(FileResult.of(seed_file, ImportStatus.UNCHANGED, article_id=known[seed_file.sha256]))
        else:
            to_parse.append((index, seed_file.data))
    return early, to_parse


def follow_edited_urls(items):
    """Point each parsed item whose webUrl an editor gave an article at that article.

    An article is identified by the webUrl its source gave. An editor may correct it (or
    give a body-only item one); the export then writes the editor's URL, and importing that
    file made a second article. A file whose own identity is unknown but whose webUrl is one
    an editor gave an article is that article's: it updates it (editor's edits kept) instead.
    One indexed query a batch; items: [(SeedFile, ParsedSeed)], changed in place."""
    urls = {parsed.web_url for _, parsed in items if parsed.web_url}
    if not urls:
        return
    moved = {}
    rows = Article.objects.filter(web_url__in_array=sorted(urls)).values_list("web_url", "source_key", "edited_fields")
    for web_url, source_key, edited in rows.order_by("pk"):
        if "web_url" in (edited or ()) and source_key != url_key(web_url):
            moved.setdefault(web_url, source_key)
    if not moved:
        return
    known = set(Article.objects.with_source_keys([url_key(url) for url in moved]).values_list("source_key", flat=True))
    for _, parsed in items:
        if parsed.web_url in moved and parsed.source_key not in known:
            parsed.source_key = moved[parsed.web_url]


class RunClaims:
    """Which file of the run stands for each article: the first, in the run's order.

    Two files of one run may name one article: the same webUrl (an export folder inside the
    folder imported, a file copied under another name, an outlet's URL reused), the same
    body (body-only items), or the URL an editor gave an article beside that article's own
    file. Both used to write it, the later one winning, so each run reported two updates
    and flagged an edited article as changed at the source over and over. Now the first
    file in the run's order (the order discovery gives, the same on every run of the same
    paths) is imported, or found unchanged, and every later one fails on its own, naming
    it. A file that failed before naming an article (unreadable, invalid) claims nothing.
    Dry runs claim alike, so they report what the import would do.

    Held for the whole run, so kept small (claims.py): each identity and the number of its
    file in the run's order; a path is looked up (`path_of(number)`) only to name the
    earlier file in a later one's failure."""

    def __init__(self, path_of):
        self.table = ClaimTable()
        self.path_of = path_of

    def settle(self, items, decided, order):
        """Claim the batch's identities in the run's order; returns (items, decided) with
        each later file's item or skip replaced by its failure. items: [(SeedFile,
        ParsedSeed)] with their final source keys (follow_edited_urls); decided: results
        known before parsing, files skipped by hash among them; order: path -> the file's
        number in the run's discovery order."""
        skipped, kept = [], []
        for result in decided:
            (skipped if result.status == ImportStatus.UNCHANGED and result.article_id else kept).append(result)
        keys = {}
        if skipped:
            # A file skipped by its hash is never parsed: its identity is its article's.
            ids = [result.article_id for result in skipped]
            keys = dict(Article.objects.filter(pk__in=ids).order_by().values_list("pk", "source_key"))
        claimants = [(order[seed_file.path], parsed.source_key, (seed_file, parsed)) for seed_file, parsed in items]
        claimants += [(order[result.path], keys.get(result.article_id), result) for result in skipped]
        kept_items = []
        for number, key, claimant in sorted(claimants, key=lambda claimant: claimant[0]):
            is_item = isinstance(claimant, tuple)
            winner = number if key is None else self.table.claim(key, number)
            if winner == number:
                (kept_items if is_item else kept).append(claimant)
                continue
            earlier = display_path(self.path_of(winner))
            error = f"the same article as {earlier}, earlier in this run (the first file is the one imported)"
            if is_item:
                kept.append(FileResult.of(claimant[0], ImportStatus.FAILED, error=error))
            else:
                claimant.status, claimant.article_id, claimant.error = ImportStatus.FAILED, None, error
                kept.append(claimant)
        return kept_items, kept


@dataclass
class Plan:
    """One FileResult per item, and the work: creates [(result, seed_file, parsed)],
    updates [(result, article, seed_file, parsed)], refreshes [(article, seed_file, parsed)]
    (unchanged content whose opaque `secured` blob or file bytes moved on)."""

    results: list
    creates: list
    updates: list
    refreshes: list


def plan_items(items, *, lock=True):
    """Decide created / updated / unchanged for parsed items [(SeedFile, ParsedSeed)], one
    per article (RunClaims), against what is stored. `lock`: lock the stored rows until the
    transaction ends (writing; a dry run writes nothing and locks nothing)."""
    keys = [parsed.source_key for _, parsed in items]
    existing = {}
    if keys:
        # Bodies and front matter stay in the database: an update writes them from the
        # parsed file. Fields editors edit are loaded, as an update writes them back as they are.
        stored = Article.objects.with_source_keys(keys).only(
            "source_key",
            "content_sha256",
            "secured",
            "source_sha256",
            "edited_fields",
            "state",
            "title",
            "excerpt",
            "category",
            "web_url",
            "provider_id",
        )
        if lock:
            # Writing (in the batch's transaction): the rows are locked until it commits, so an
            # editor's edit waits and lands on top. Unlocked, an edit committed between this
            # read and the batch's write (PostgreSQL) was overwritten with the source's value.
            # In id order, as every batch locks, so that two imports wait rather than deadlock.
            stored = stored.select_for_update(of=("self",)).order_by("pk")
        existing = {article.source_key: article for article in stored}
    plan = Plan([], [], [], [])
    for seed_file, parsed in items:
        result = FileResult.of(seed_file, ImportStatus.CREATED, notes=list(parsed.notes))
        article = existing.get(parsed.source_key)
        if article is None:
            plan.creates.append((result, seed_file, parsed))
        elif article.content_sha256 == parsed.content_sha256:
            result.status = ImportStatus.UNCHANGED
            result.article_id = article.pk
            if article.pk and (article.secured != parsed.secured or article.source_sha256 != seed_file.sha256):
                plan.refreshes.append((article, seed_file, parsed))
        else:
            result.status = ImportStatus.UPDATED
            result.article_id = article.pk
            plan.updates.append((result, article, seed_file, parsed))
        plan.results.append(result)
    return plan
