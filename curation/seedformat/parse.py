"""One seed file's bytes to a ParsedSeed, or the reason it cannot be imported."""

import hashlib
import logging

from curation.seedformat import fields
from curation.seedformat.fields import shown
from curation.seedformat.frontmatter import load_front_matter
from curation.seedformat.text import content_hash, decode_seed, derive_title, split_front_matter, stable_json
from curation.seedformat.values import ParsedSeed, SeedError, SeedLimits, body_key, url_key
from curation.stories.urls import stored_canonical_url
from curation.validation import MAX_SHORT_TEXT, safe_url, visible_name

logger = logging.getLogger(__name__)


def parse_seed(data, limits=None):
    """Parse and validate one seed file's bytes. Raises SeedError."""
    limits = limits or SeedLimits()
    text = decode_seed(data)
    front_matter, body = split_front_matter(text)
    if len(body) > limits.max_body:
        raise SeedError(
            f"body is {len(body):,} characters long; at most {limits.max_body:,} are accepted (SEED_MAX_BODY_CHARS)"
        )
    body_sha256 = hashlib.sha256(body.strip().encode()).hexdigest() if body.strip() else ""
    if front_matter is None:
        body = body.strip("\n")
        if not visible_name(body):  # only spaces, zero-width spaces, BOMs: nothing to read
            raise SeedError("is empty: no front matter and no body text")
        return ParsedSeed(
            source_key=body_key(body),
            content_sha256=content_hash("", {}, body),
            body_sha256=body_sha256,
            has_front_matter=False,
            front_matter_raw="",
            title=derive_title(body),
            body=body,
        )

    spans, repeated = {}, []
    mapping = load_front_matter(front_matter, limits, spans=spans, repeated=repeated)
    # A key given twice is kept as YAML readers do (the last wins), but never silently: the
    # first value is what the writer may have meant.
    notes = [
        f"{shown(name, 40)} is given twice (lines {first} and {kept}); the value on line {kept} was kept"
        for name, first, kept in repeated
    ]
    raw_url = mapping.get("webUrl")
    if raw_url is None or raw_url == "":
        raise SeedError("is missing; it identifies the article", field="webUrl")
    web_url = safe_url(raw_url)
    if not web_url:
        raise SeedError(f"{shown(raw_url, 80)} is not an absolute http(s) URL", field="webUrl")
    secured = mapping.get("secured")
    if secured is not None and not isinstance(secured, str):
        secured = stable_json(secured)

    return ParsedSeed(
        source_key=url_key(web_url),
        content_sha256=content_hash(front_matter, mapping, body, secured_span=spans.get("secured")),
        body_sha256=body_sha256,
        has_front_matter=True,
        front_matter_raw=front_matter,
        title=fields.read_text(mapping, "title", required=True, max_length=limits.max_title, setting="SEED_MAX_TITLE_CHARS"),
        body=body,
        excerpt=fields.read_text(mapping, "excerpt", max_length=limits.max_excerpt, setting="SEED_MAX_EXCERPT_CHARS"),
        category=fields.read_text(mapping, "category", max_length=MAX_SHORT_TEXT).strip(),
        article_type=fields.read_text(mapping, "type", max_length=MAX_SHORT_TEXT).strip(),
        web_url=web_url,
        canonical_url=stored_canonical_url(web_url),
        amp_url=fields.read_optional_url(mapping, "ampWebUrl", notes),
        cdn_amp_url=fields.read_optional_url(mapping, "cdnAmpWebUrl", notes),
        published_at=fields.read_datetime(mapping.get("publishedDateTime"), "publishedDateTime"),
        quality=fields.read_int(mapping, "quality"),
        heat=fields.read_int(mapping, "heat"),
        source_published=fields.read_bool(mapping, "published"),
        secured=secured or "",
        provider=fields.read_provider(mapping.get("provider"), "provider"),
        topics=fields.read_topics(mapping.get("topics"), limits, notes),
        images=fields.read_images(mapping.get("images"), "images", notes, limits),
        related=fields.read_related(mapping.get("related"), notes, limits),
        notes=notes,
    )


def parse_one(data, limits=None):
    """ParsedSeed, or the reason the file failed as text. Never raises for any bytes: a
    failure nobody foresaw is still one file's failure, named by its exception."""
    try:
        return parse_seed(data, limits)
    except SeedError as exc:
        return str(exc)
    except RecursionError:
        return "front matter is nested too deeply"
    except MemoryError:
        return "front matter is too large to parse"
    except Exception as exc:  # noqa: BLE001 - see the docstring
        logger.warning("unexpected error parsing a seed file", exc_info=True)
        return f"cannot be parsed: unexpected {type(exc).__name__}: {shown(str(exc), 200)}"


def parse_seed_batch(payloads, limits=None):
    """[(index, bytes)] -> [(index, ParsedSeed or the error text)]."""
    return [(index, parse_one(data, limits)) for index, data in payloads]
