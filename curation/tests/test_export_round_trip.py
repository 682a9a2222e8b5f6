"""Property: an article that the import accepted survives export_seeds and a re-import of the
export, whatever its file held. The re-import finds the same article (nothing created,
nothing failed) and leaves what readers see as it was; the export's file names are ones the
import reads."""

import datetime as dt
import json
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from curation.models import Article
from curation.services import editorial
from curation.services.exporting import export_file_name
from curation.services.importing.writer import IMPORTED_FIELDS
from curation.tests.factories import make_user, seed_text, valid_front_matter
from curation.tests.seed_strategies import TRICKY_TEXT, URLS, values
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What a reader sees of an article, and what the import uses to find it again.
# (The file's own path, bytes, hashes and text change with the export's layout.)
SHOWN = ["source_key"] + [
    name
    for name in IMPORTED_FIELDS
    if name
    not in {"provider", "front_matter_raw", "source_path", "source_sha256", "content_sha256", "source_updated_at"}
]


def shown(article):
    values = {name: getattr(article, name) for name in SHOWN}
    values["provider"] = article.provider and (article.provider.name, article.provider.domain)
    values["topics"] = sorted(article.topics.values_list("name", flat=True))
    values["images"] = list(article.images.order_by("pk").values_list("url", "width", "height"))
    values["related"] = list(article.related.order_by("pk").values_list("web_url", "title"))
    return values


def import_export_import(folder, name, data):
    """The outcome of re-importing the export of `data` as file `name`, or None if the
    import did not accept the file in the first place."""
    Article.objects.all().delete()
    for old in [*folder.glob("in/*"), *folder.glob("out/*")]:
        old.unlink()
    write(folder / "in", name, data)
    code, out, _ = run_import(folder / "in", json=True, no_rules=True, no_stories=True)
    if code != 0:
        return None
    before = {article.pk: shown(article) for article in Article.objects.all()}
    call_command("export_seeds", str(folder / "out"), stdout=StringIO())
    code, out, err = run_import(folder / "out", json=True, no_rules=True, no_stories=True)
    assert code == 0, err
    report = json.loads(out)
    assert report["counts"]["created"] == 0 and report["counts"]["failed"] == 0, report
    assert {article.pk: shown(article) for article in Article.objects.all()} == before
    return report


body_texts = st.lists(
    st.one_of(
        st.sampled_from(["---", "--- ", "...", "\ufeff", "\ufeff---", "", " ", "\t", "Body text, in words."]),
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), max_size=20),
    ),
    min_size=1,
    max_size=6,
).map("\n".join)


@EXAMPLES
@example(body="---\nnot front matter", leading="\n")
@given(body=body_texts, leading=st.sampled_from(["", "\n", "\n\n", "\ufeff", "\ufeff\n"]))
def test_any_body_only_item_survives_export_and_reimport(tmp_path_factory, body, leading):
    # A body-only file whose text, once its blank first lines were dropped, began with a
    # '---' line was exported as front matter: the re-import refused it or made another item.
    import_export_import(tmp_path_factory.mktemp("round-trip"), "a.txt", (leading + body).encode())


hostile_text = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(st.characters(exclude_categories=("Cs",)), max_size=30))
front_matters = st.fixed_dictionaries(
    {"title": hostile_text, "webUrl": st.just("https://news.example/a")},
    optional={
        "excerpt": hostile_text,
        "category": hostile_text,
        "topics": st.lists(hostile_text, max_size=4),
        "provider": st.fixed_dictionaries({"name": hostile_text}, optional={"domain": hostile_text}),
        "secured": values,
        "sentiment": values,
        "related": st.lists(
            st.fixed_dictionaries({"title": hostile_text, "webUrl": st.sampled_from(URLS)}), max_size=2
        ),
        "images": st.lists(st.fixed_dictionaries({"url": st.sampled_from(URLS), "title": hostile_text}), max_size=2),
    },
)


@EXAMPLES
@example(mapping={"title": "t", "webUrl": "https://news.example/a"}, tag="!!pairs [a: 1, a: 2]", where="topics")
@given(
    mapping=front_matters,
    tag=st.sampled_from(["", "", "!!binary AAAA", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1, a: 2]"]),
    where=st.sampled_from(["title", "topics", "excerpt", "secured", "other"]),
)
def test_any_accepted_front_matter_survives_export_and_reimport(tmp_path_factory, mapping, tag, where):
    if tag:
        mapping.pop(where, None)
    try:
        text = yaml.safe_dump(mapping, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        assume(False)
    if tag:
        # A tagged value PyYAML builds as bytes, a set or pairs: str() of them used to be
        # accepted as a title or a topic, then exported as what it is, and refused.
        text += f"{where}: {tag}\n"
    import_export_import(tmp_path_factory.mktemp("round-trip"), "a.txt", f"---\n{text}---\nBody.\n".encode())


@pytest.mark.parametrize(
    "tag, field",
    [("!!binary AAAA", "title"), ("!!set {a, b}", "title"), ("!!pairs [a: 1]", "topics"), ("!!omap [a: 1]", "topics")],
)
def test_a_tagged_collection_where_text_belongs_fails_its_file(tmp_path, tag, field):
    write(tmp_path, "a.txt", f"---\ntitle: t\nwebUrl: https://news.example/a\n{field}: {tag}\n---\nBody.\n")
    code, out, _ = run_import(tmp_path, json=True)
    (entry,) = json.loads(out)["files"]
    assert code == 1 and entry["error"].startswith(f"field '{field}': ")


class Stored:
    def __init__(self, pk, source_path):
        self.pk, self.source_path = pk, source_path


def test_export_names_are_read_again_and_never_taken_twice():
    used = set()
    names = [
        export_file_name(Stored(pk, path), used)
        for pk, path in [(1, "/in/x.txt"), (2, "/in/article-3.txt"), (3, "/in/x.txt"), (4, "/in/README"), (5, "")]
    ]
    assert names == ["x.txt", "article-3.txt", "article-3-2.txt", "README.txt", "article-5.txt"]


def test_an_url_an_editor_gave_leads_the_reimport_of_the_export_to_the_same_article(tmp_path):
    # The export writes the editor's webUrl; importing it made a second article, in the
    # queue beside the first (a completed body-only item, an article whose URL was corrected).
    editor = make_user(role="editor")
    write(tmp_path / "in", "a.txt", seed_text(body="Body A.\n", **valid_front_matter(1, provider=None)))
    write(tmp_path / "in", "b.txt", "A body-only item, completed by an editor later.\n")
    run_import(tmp_path / "in", no_stories=True)
    for article, url in [
        (Article.objects.get(has_front_matter=True), "https://seed.example/corrected"),
        (Article.objects.get(has_front_matter=False), "https://seed.example/completed"),
    ]:
        editorial.complete_article(
            article=article, user=editor, title="Completed", web_url=url, provider_name="Seed Times", published_at=NOON
        )
    before = {article.pk: shown(article) for article in Article.objects.all()}

    call_command("export_seeds", str(tmp_path / "out"), stdout=StringIO())
    for folder in ("out", "in", "out"):
        code, out, err = run_import(tmp_path / folder, json=True, no_stories=True)
        assert code == 0 and json.loads(out)["counts"]["created"] == 0, err
    after = {article.pk: shown(article) for article in Article.objects.all()}
    assert {pk: (v["title"], v["web_url"]) for pk, v in after.items()} == {
        pk: (v["title"], v["web_url"]) for pk, v in before.items()
    }
