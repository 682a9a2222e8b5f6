"""Story features of parsed seed files, computed where they are parsed.

The import parses in worker processes; `parse_and_describe_batch` is their entry point when
stories are on: it parses like `seedformat.parse_seed_batch` and gives each parsed seed its
`story_features` (an `ItemFeatures` without a key: the article id is known only once the
row is written), so the process that writes to the database never reads the text again.
"""

from curation.seedformat import ParsedSeed, parse_seed_batch
from curation.stories.features import ARTICLE, BODY, StoryItem, item_features

__all__ = ["parse_and_describe_batch", "seed_story_item", "describe"]


def seed_story_item(parsed, key=None):
    """The `StoryItem` of a parsed seed: a body-only item has nothing but its body (its
    derived title is its first line, already in the body)."""
    if not parsed.has_front_matter:
        return StoryItem(key=key, kind=BODY, body=parsed.body)
    provider = parsed.provider.domain or parsed.provider.name if parsed.provider else ""
    return StoryItem(
        key=key,
        kind=ARTICLE,
        title=parsed.title,
        excerpt=parsed.excerpt,
        body=parsed.body,
        url=parsed.web_url,
        amp_url=parsed.amp_url,
        cdn_amp_url=parsed.cdn_amp_url,
        published=parsed.published_at,
        provider=provider,
        quality=parsed.quality,
        related_urls=tuple(entry.web_url for entry in parsed.related if entry.web_url),
        related_texts=tuple(f"{entry.title}\n{entry.excerpt}" for entry in parsed.related),
        canonical_url=parsed.canonical_url,
        canonical_related=tuple(entry.canonical_url for entry in parsed.related if entry.canonical_url),
    )


def describe(parsed):
    """Attach the story features to a parsed seed; a failure costs the stories, never the file."""
    try:
        parsed.story_features = item_features(seed_story_item(parsed))
    except Exception:  # noqa: BLE001 - untrusted text must not fail an import over an extra
        parsed.story_features = None
    return parsed


def parse_and_describe_batch(payloads):
    """Worker entry point: [(index, bytes)] -> [(index, ParsedSeed with story features, or
    the error text)]."""
    results = parse_seed_batch(payloads)
    for _, outcome in results:
        if isinstance(outcome, ParsedSeed):
            describe(outcome)
    return results
