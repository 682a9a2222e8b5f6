"""export_seeds: what leaves the system parses back to what came in, plus the editorial state."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from curation.models import Article
from curation.seedformat import SafeLoader, decode_seed, split_front_matter
from curation.services import editorial
from curation.tests.factories import make_user, seed_text, valid_front_matter
from curation.tests.test_import import REAL_SEEDS, SAMPLE_SEEDS, run_import, write

pytestmark = pytest.mark.django_db


def read_seed(path):
    front, body = split_front_matter(decode_seed(Path(path).read_bytes()))
    return (yaml.load(front, Loader=SafeLoader) if front is not None else None), body


def export(outdir, **options):
    out = StringIO()
    call_command("export_seeds", str(outdir), stdout=out, **options)
    return out.getvalue()


@pytest.mark.parametrize("folder", [REAL_SEEDS, SAMPLE_SEEDS], ids=["real", "samples"])
def test_round_trip_gives_the_same_mapping_and_body(tmp_path, folder):
    run_import(folder)
    out = export(tmp_path / "out")

    sources = sorted(folder.iterdir())
    assert f"Exported {len(sources)} articles" in out
    for source in sources:
        exported = tmp_path / "out" / source.name
        source_mapping, source_body = read_seed(source)
        exported_mapping, exported_body = read_seed(exported)
        assert exported_body.strip("\n") == source_body.strip("\n")
        if source_mapping is None:
            assert exported_mapping is None
            continue
        assert exported_mapping["published"] is False  # nobody published it
        assert {k: v for k, v in exported_mapping.items() if k != "published"} == {
            k: v for k, v in source_mapping.items() if k != "published"
        }


def test_unknown_keys_survive_the_round_trip(tmp_path):
    write(tmp_path / "in", "a.txt", seed_text(body="B\n", **valid_front_matter(1, sentiment={"score": 0.25}, tags=["x"])))
    run_import(tmp_path / "in")
    export(tmp_path / "out")
    mapping, _ = read_seed(tmp_path / "out" / "a.txt")
    assert mapping["sentiment"] == {"score": 0.25} and mapping["tags"] == ["x"]


def test_export_carries_published_and_editors_edits(tmp_path):
    editor = make_user(role="editor")
    write(tmp_path / "in", "a.txt", seed_text(body="Body\n", **valid_front_matter(1)))
    run_import(tmp_path / "in")
    article = Article.objects.get()
    editorial.edit_article(article=article, user=editor, title="Edited headline", topics=["Picked"], create_topics=["Picked"])
    editorial.publish_article(article=article, user=editor)

    export(tmp_path / "out")

    mapping, body = read_seed(tmp_path / "out" / "a.txt")
    source, _ = read_seed(tmp_path / "in" / "a.txt")
    assert mapping["published"] is True
    assert mapping["title"] == "Edited headline" and mapping["topics"] == ["Picked"]
    assert mapping["excerpt"] == source["excerpt"] and mapping["secured"] == source["secured"]
    assert body == "Body\n"


def test_published_only_leaves_out_the_rest(tmp_path):
    editor = make_user(role="editor")
    run_import(SAMPLE_SEEDS)
    chosen = Article.objects.filter(needs_metadata=False).first()
    editorial.publish_article(article=chosen, user=editor)

    export(tmp_path / "out", published_only=True)

    files = list((tmp_path / "out").iterdir())
    assert len(files) == 1
    assert read_seed(files[0])[0]["webUrl"] == chosen.web_url


def test_exported_folder_reimports_as_the_same_articles(tmp_path):
    run_import(SAMPLE_SEEDS)
    before = Article.objects.count()
    export(tmp_path / "out")
    code, out, _ = run_import(tmp_path / "out")
    assert code == 0 and Article.objects.count() == before
    assert "0 created" in out
