"""Field validators: each turns one value of the parsed front matter into a stored value,
or raises SeedError naming the field."""

import datetime as dt
import json

from curation.seedformat.frontmatter import kind
from curation.seedformat.values import ParsedImage, ParsedProvider, ParsedRelated, SeedError, url_key
from curation.stories.urls import stored_canonical_url
from curation.validation import (
    FIRST_YEAR,
    INT_MAX,
    INT_MIN,
    LAST_YEAR,
    MAX_DOMAIN,
    MAX_NAME,
    MAX_SHORT_TEXT,
    safe_url,
    visible_name,
)


def shown(value, length=60):
    """A value quoted in a reason: short, whatever the file held (a reason is printed,
    stored in the ledger and shown in the admin)."""
    text = repr(value) if isinstance(value, str) else repr(str(value)[: length + 1])
    return text if len(text) <= length else text[: length - 4] + "...'"


def is_text_like(value):
    """Can this parsed value stand for a text? Plain scalars can: a number or a date was
    text in the file. Not a boolean, a collection, nor what the tags !!binary, !!set,
    !!omap and !!pairs build (bytes, a set, pairs): str() of those is Python's spelling
    (`b'...'`, `{'a'}`, `('a', 1)`), not the file's, and an export writes them back as what
    they are, which the import then refuses (the article would not survive a round trip)."""
    return isinstance(value, (str, int, float, dt.date)) and not isinstance(value, bool)


def read_text(mapping, key, *, max_length=None, required=False, setting=None):
    value = mapping.get(key)
    if value is None:
        if required:
            raise SeedError("is missing", field=key)
        return ""
    if not is_text_like(value):
        raise SeedError(f"must be text, not {_a(kind(value))}", field=key)
    value = str(value) if not isinstance(value, str) else value
    if required and not visible_name(value):
        raise SeedError("is empty" if not value.strip() else "shows nothing (only invisible characters)", field=key)
    if max_length is not None and len(value) > max_length:
        limit = f" ({setting})" if setting else ""
        raise SeedError(f"is {len(value):,} characters long; at most {max_length:,} are accepted{limit}", field=key)
    return value


def read_int(mapping, key):
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SeedError(f"must be a whole number, not {shown(value)}", field=key)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise SeedError(f"must be a whole number, not {shown(value)}", field=key) from None
    if not INT_MIN <= value <= INT_MAX:
        raise SeedError(f"{shown(value)} is out of range", field=key)
    return value


def read_bool(mapping, key):
    """True or false; absent or empty is false."""
    value = mapping.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise SeedError(f"must be true or false, not {shown(value)}", field=key)


def read_datetime(value, key):
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise SeedError(f"{shown(value)} is not an ISO 8601 date-time", field=key) from None
    else:
        raise SeedError(f"must be a date-time, not {shown(value)}", field=key)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        parsed = parsed.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is a valid timestamp before year 1 in UTC
        parsed = None
    if parsed is None or not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise SeedError(f"{shown(value)} is outside the years {FIRST_YEAR} to {LAST_YEAR} in UTC", field=key)
    return parsed


def read_optional_url(mapping, key, notes, where=""):
    value = mapping.get(key)
    if value is None or value == "":
        return ""
    url = safe_url(value)
    if not url:
        notes.append(f"{where}{key}: dropped {shown(value, 80)} (only http(s) URLs are kept as links)")
    return url


def read_provider(value, key):
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise SeedError(f"must be a mapping with name and domain, not a {kind(value)}", field=key)
    try:
        name = visible_name(read_text(value, "name", max_length=MAX_NAME))
        domain = visible_name(read_text(value, "domain", max_length=MAX_DOMAIN)).lower()
    except SeedError as exc:
        raise SeedError(exc.reason, field=f"{key}.{exc.field}") from None
    if not name and not domain:
        return None
    return ParsedProvider(name=name or domain, domain=domain)


def read_topics(value, limits, notes):
    if value is None:
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise SeedError(f"must be a list of names, not a {kind(value)}", field="topics")
    topics, seen = [], set()
    for item in value:
        if not is_text_like(item):
            raise SeedError(f"every topic must be a name, not {shown(item)}", field="topics")
        name = visible_name(str(item))
        if not name and str(item).strip():
            notes.append(f"topics: dropped {shown(str(item), 40)} (a name of only invisible characters)")
        if len(name) > MAX_NAME:
            raise SeedError(f"topic {shown(name, 40)} is longer than {MAX_NAME} characters", field="topics")
        if name and name not in seen:
            seen.add(name)
            topics.append(name)
            if len(topics) > limits.max_topics:
                raise SeedError(
                    f"names more than {limits.max_topics:,} topics; at most {limits.max_topics:,} are accepted"
                    " (SEED_MAX_TOPICS)",
                    field="topics",
                )
    return topics


def _dimension(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT_MAX:
        return None
    return value


def _at_most(items, limit, key, notes, setting):
    """Images and related items beyond the limit are cut, with a note (see SeedLimits)."""
    if len(items) <= limit:
        return items
    notes.append(f"{key}: kept the first {limit:,} of {len(items):,} items ({setting})")
    return items[:limit]


def read_images(value, key, notes, limits, where=""):
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"must be a list, not a {kind(value)}", field=key)
    images = []
    for index, item in enumerate(_at_most(value, limits.max_images, f"{where}{key}", notes, "SEED_MAX_IMAGES")):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict):
            raise SeedError(f"item {index + 1} must be a mapping with a url, not a {kind(item)}", field=key)
        url = safe_url(item.get("url"))
        if not url:
            notes.append(f"{where}{key}[{index + 1}]: dropped {shown(item.get('url'), 80)} (not an http(s) URL)")
            continue
        title = item.get("title")
        if title is not None and not is_text_like(title):
            notes.append(f"{where}{key}[{index + 1}].title: dropped {_a(kind(title))} (an image's title is text)")
        title = str(title) if is_text_like(title) else ""
        if len(title) > limits.max_title:
            raise SeedError(
                f"is {len(title):,} characters long; at most {limits.max_title:,} are accepted (SEED_MAX_TITLE_CHARS)",
                field=f"{key}[{index + 1}].title",
            )
        images.append(
            ParsedImage(
                url=url,
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
                title=title,
            )
        )
    return images


def read_related(value, notes, limits):
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"must be a list, not a {kind(value)}", field="related")
    related = []
    for index, item in enumerate(_at_most(value, limits.max_related, "related", notes, "SEED_MAX_RELATED")):
        where = f"related[{index + 1}]."
        if not isinstance(item, dict):
            raise SeedError(f"item {index + 1} must be a mapping, not a {kind(item)}", field="related")
        try:
            images = read_images(item.get("images"), "images", notes, limits, where)
            web_url = read_optional_url(item, "webUrl", notes, where)
            related.append(
                ParsedRelated(
                    title=read_text(item, "title", max_length=limits.max_title, setting="SEED_MAX_TITLE_CHARS"),
                    excerpt=read_text(item, "excerpt", max_length=limits.max_excerpt, setting="SEED_MAX_EXCERPT_CHARS"),
                    web_url=web_url,
                    url_key=url_key(web_url) if web_url else "",
                    canonical_url=stored_canonical_url(web_url),
                    amp_url=read_optional_url(item, "ampWebUrl", notes, where),
                    cdn_amp_url=read_optional_url(item, "cdnAmpWebUrl", notes, where),
                    published_at=read_datetime(item.get("publishedDateTime"), "publishedDateTime"),
                    article_type=read_text(item, "type", max_length=MAX_SHORT_TEXT),
                    provider=read_provider(item.get("provider"), "provider"),
                    quality=read_int(item, "quality"),
                    heat=read_int(item, "heat"),
                    images_json=json.dumps([{"url": i.url, "width": i.width, "height": i.height} for i in images]),
                )
            )
        except SeedError as exc:
            where = f"related[{index + 1}]" + (f".{exc.field}" if exc.field else "")
            raise SeedError(exc.reason, field=where) from None
    return related


def _a(noun):
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
