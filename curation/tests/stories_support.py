"""Helpers for the story tests: seed files of one storm reported by several outlets, and the
labelled corpus written out as seed files, so that both go through the whole import path
(parse workers, canonical URLs, the index, the clustering)."""

import json
import shutil
from pathlib import Path

from curation.models import Article
from curation.services.importing import import_seed_files
from curation.stories.evaluation import load_corpus, pairwise_scores
from curation.tests.factories import seed_text, valid_front_matter

STORM = "Storm Imogen leaves 60,000 homes in Wales without power after 90mph gusts"
STORM_EXCERPT = "Storm Imogen cut power to 60,000 homes in Wales overnight as gusts reached 90mph, the Met Office said."


def storm_seed(n, title=STORM, **overrides):
    values = valid_front_matter(
        n, title=title, excerpt=STORM_EXCERPT, publishedDateTime=f"2024-04-03T{10 + n % 10:02d}:00:00Z",
        webUrl=f"https://outlet{n}.example/storm-imogen-{n}", provider={"name": f"Outlet {n}", "domain": f"outlet{n}.example"},
        topics=[], images=[],
    )
    values.update(overrides)
    return seed_text(body="Storm Imogen brought down trees across Wales.", **values)


def write_seeds(folder, texts):
    folder.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(texts):
        (folder / f"{number:03d}.txt").write_text(text, encoding="utf-8")
    return folder


def import_two_storms(folder, first_url, second_url, *, second_title):
    """Import two reports of the same storm from the URLs given, the second under a title of
    its own; returns the two articles in the order imported."""
    write_seeds(folder, [storm_seed(1, webUrl=first_url), storm_seed(2, title=second_title, webUrl=second_url)])
    import_seed_files([folder], workers=0)
    first, second = Article.objects.order_by("pk")
    return first, second


def corpus_seed_files(folder, part):
    """Write `part` of the labelled corpus as seed files (articles with their related
    entries; body-only items as bodies). Returns {file name: corpus item id}."""
    labelled = load_corpus(part)
    children = {}
    for entry in labelled:
        if entry.item.parent is not None:
            children.setdefault(entry.item.parent, []).append(entry.item)
    names = {}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for number, entry in enumerate(labelled):
        item = entry.item
        name = f"{number:04d}_{item.key}.txt"
        if item.kind == "related":
            continue
        if item.kind == "body":
            text = item.body
        else:
            front = {
                "title": item.title or "Untitled",
                "excerpt": item.excerpt,
                "webUrl": item.url or f"https://corpus.example/{item.key}",
                "ampWebUrl": item.amp_url or None,
                "cdnAmpWebUrl": item.cdn_amp_url or None,
                "publishedDateTime": item.published.strftime("%Y-%m-%dT%H:%M:%SZ") if item.published else None,
                "provider": {"name": item.provider or "Unknown", "domain": item.provider or ""},
                "quality": item.quality,
                "related": [
                    {
                        "title": child.title,
                        "excerpt": child.excerpt,
                        "webUrl": child.url,
                        "ampWebUrl": child.amp_url or None,
                        "cdnAmpWebUrl": child.cdn_amp_url or None,
                        "publishedDateTime": child.published.strftime("%Y-%m-%dT%H:%M:%SZ") if child.published else None,
                        "provider": {"name": child.provider or "Unknown", "domain": child.provider or ""},
                    }
                    for child in children.get(item.key, ())
                ],
            }
            text = seed_text(body=item.body, **{key: value for key, value in front.items() if value is not None})
        (folder / name).write_text(text, encoding="utf-8")
        names[name] = item.key
    return names


def corpus_keys_by_article(names):
    """{article id: corpus item id} for the imported files."""
    by_path = {Path(path).name: pk for pk, path in Article.objects.values_list("pk", "source_path")}
    return {by_path[name]: key for name, key in names.items() if name in by_path}


def stored_story_scores(part, names):
    """Pairwise scores of the stored stories against the labels, over the imported items
    (articles and body-only items; related entries are not articles of their own)."""
    keys = corpus_keys_by_article(names)
    labelled = [entry for entry in load_corpus(part) if entry.item.key in set(keys.values())]
    groups = {}
    for pk, story_id in Article.objects.filter(story__isnull=False).values_list("pk", "story_id"):
        if pk in keys:
            groups.setdefault(story_id, set()).add(keys[pk])
    return pairwise_scores(labelled, list(groups.values()))


def stories_json(output):
    data = json.loads(output)
    return {frozenset(story["articles"]) for story in data["stories"]}, data


def _published(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("publishedDateTime:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return "9999"  # body-only items: undated, last


def import_in_publication_order(folder, work, size):
    """Import the seed files of `folder` in imports of `size` files, by publication date
    (undated last), each from a folder of its own under `work`. Returns how many imports."""
    dated = sorted(Path(folder).iterdir(), key=_published)
    imports = 0
    for start in range(0, len(dated), size):
        chunk = Path(work) / f"chunk{imports}"
        chunk.mkdir()
        for path in dated[start : start + size]:
            shutil.copy(path, chunk)
        import_seed_files([chunk], workers=0)
        imports += 1
    return imports
