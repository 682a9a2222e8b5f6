"""Parsing and validation of seed files.

A seed file is a YAML front-matter block between `---` lines followed by the article body;
either part may be missing. Seed files are untrusted: this module turns bytes into a
`ParsedSeed` of plain, validated values, or raises `SeedError` with a reason an operator can
act on. It imports nothing from Django so that worker processes can load it cheaply.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

import yaml

from curation.fastyaml import FastSafeLoader
from curation.stories.urls import stored_canonical_url
from curation.validation import INT_MAX, INT_MIN, MAX_DOMAIN, MAX_NAME, MAX_SHORT_TEXT, safe_url

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader

BOM = "\ufeff"
DERIVED_TITLE_LENGTH = 120
MAX_DEPTH = 20

# An alias (`*name`) is the only YAML feature that lets a small file expand into a huge
# structure ("billion laughs"). This cheap test finds every place one could start; only a
# file that matches pays for the exact check on the event stream.
_ALIAS_HINT = re.compile(r"(?:^|[\s\[\{,:\-?])\*[^\s\[\]\{\},]")
# Matched at the start of a line: `$` with MULTILINE is the end of that line.
_FRONT_MATTER_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_SURROGATE = re.compile("[\ud800-\udfff]")


class SeedError(ValueError):
    """The file cannot be imported; the message says why (and which field, if any)."""

    def __init__(self, message, *, field=None):
        self.field = field
        super().__init__(f"field '{field}': {message}" if field else message)


@dataclass
class ParsedImage:
    url: str
    width: int | None = None
    height: int | None = None
    title: str = ""


@dataclass
class ParsedProvider:
    name: str
    domain: str = ""


@dataclass
class ParsedRelated:
    title: str = ""
    excerpt: str = ""
    web_url: str = ""
    url_key: str = ""  # links the coverage to an article we imported from that URL
    canonical_url: str = ""  # web_url in the one spelling of curation.stories.urls
    amp_url: str = ""
    cdn_amp_url: str = ""
    published_at: dt.datetime | None = None
    article_type: str = ""
    provider: ParsedProvider | None = None
    quality: int | None = None
    heat: int | None = None
    # [{"url", "width", "height"}] as the JSON text stored in the coverage row: encoded here,
    # in the parsing process, so the process that writes to the database does not have to.
    images_json: str = "[]"


@dataclass
class ParsedSeed:
    source_key: str
    content_sha256: str
    body_sha256: str
    has_front_matter: bool
    front_matter_raw: str
    title: str
    body: str
    excerpt: str = ""
    category: str = ""
    article_type: str = ""
    web_url: str = ""
    canonical_url: str = ""  # web_url in the one spelling of curation.stories.urls
    amp_url: str = ""
    cdn_amp_url: str = ""
    published_at: dt.datetime | None = None
    quality: int | None = None
    heat: int | None = None
    source_published: bool = False
    secured: str = ""
    provider: ParsedProvider | None = None
    topics: list = field(default_factory=list)
    images: list = field(default_factory=list)
    related: list = field(default_factory=list)
    # Non-fatal findings, e.g. a `javascript:` link that was dropped.
    notes: list = field(default_factory=list)

    @property
    def needs_metadata(self):
        return not self.has_front_matter


def url_key(url):
    """The identity of an article that has a web URL (also used to link related coverage)."""
    return hashlib.sha256(f"url:{url}".encode()).hexdigest()


def body_key(body):
    return hashlib.sha256(f"body:{body}".encode()).hexdigest()


def decode_seed(data):
    """Bytes to text: UTF-8 only, BOM dropped, CRLF and lone CR turned into LF."""
    nul_offset = data.find(b"\x00")
    if nul_offset != -1:
        raise SeedError(f"contains a NUL byte at offset {nul_offset}; seed files are text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError(f"is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    if text.startswith(BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(text):
    """Return (front_matter_text or None, body)."""
    first_line, newline, rest = text.partition("\n")
    if first_line.rstrip() != "---":
        return None, text
    closing = _find_closing(rest)
    if closing is None:
        raise SeedError("front matter opened with '---' on line 1 is never closed with a '---' line")
    front_matter = rest[: closing[0]]
    body = rest[closing[1] :]
    if body.startswith("\n"):
        body = body[1:]
    return front_matter, body


def _find_closing(rest):
    """(start, end) of the first line that closes the front matter, '---' or '...' with
    trailing blanks allowed, or None."""
    closing = _match_at_line_start(rest, _FRONT_MATTER_CLOSE, ("---", "..."))
    return closing.span() if closing else None


def _match_at_line_start(text, pattern, starts):
    """The first match of `pattern` at the start of a line that begins with one of
    `starts`. str.find picks the candidate lines, which is many times quicker than a
    multi-line regex search over a 7 KB front matter (46 us -> 3 us)."""
    position = 0
    while True:
        match = pattern.match(text, position)
        if match is not None:
            return match
        found = [at for at in (text.find("\n" + start, position) for start in starts) if at != -1]
        if not found:
            return None
        position = min(found) + 1


def load_front_matter(front_matter):
    if "*" in front_matter and _ALIAS_HINT.search(front_matter):
        try:
            for event in yaml.parse(front_matter, Loader=SafeLoader):
                if isinstance(event, yaml.AliasEvent):
                    mark = event.start_mark
                    line = mark.line + 2 if mark else "?"  # +1 for 1-based, +1 for the opening '---'
                    raise SeedError(f"YAML aliases are not accepted (line {line})")
        except yaml.YAMLError as exc:
            raise SeedError(f"front matter is not valid YAML: {_yaml_problem(exc)}") from None
    try:
        mapping = yaml.load(front_matter, Loader=FastSafeLoader)
    except yaml.YAMLError as exc:
        raise SeedError(f"front matter is not valid YAML: {_yaml_problem(exc)}") from None
    except (ValueError, OverflowError, TypeError) as exc:
        # The safe constructor raises these for values such as a timestamp with month 13.
        raise SeedError(f"{_locate_unreadable_value(front_matter)}cannot be read: {exc}") from None
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise SeedError(f"front matter must be a mapping of keys to values, not a {_kind(mapping)}")
    for key in mapping:
        if not isinstance(key, str):
            raise SeedError(f"front matter key {key!r} is not a string")
    _check_structure(front_matter, mapping)
    return mapping


def _check_structure(front_matter, mapping):
    """Refuse absurd nesting (export and display recurse over it) and, when the text has
    escape sequences, strings that no database stores alike: YAML turns "\\0" into a NUL,
    which PostgreSQL refuses and SQLite keeps, and "\\ud800" into a lone surrogate,
    which is not UTF-8 at all."""
    check_text = "\\" in front_matter
    if not check_text:
        # The usual file: only the depth to check, and no field names to build on the way.
        if _deeper_than(mapping, MAX_DEPTH):
            raise SeedError(f"front matter is nested more than {MAX_DEPTH} levels deep")
        return
    stack = [(mapping, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise SeedError(f"front matter is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                if check_text and isinstance(key, str):
                    _check_text(key, path or "front matter key")
                stack.append((child, depth + 1, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, f"{path}[{index + 1}]") for index, child in enumerate(item))
        elif check_text and isinstance(item, str):
            _check_text(item, path)


def _deeper_than(mapping, limit):
    stack = [(mapping, 1)]
    while stack:
        item, depth = stack.pop()
        # Counted as the full walk below counts: a container's children sit one level deeper.
        if depth > limit or (depth == limit and item):
            return True
        for child in item.values() if type(item) is dict else item:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False


def _check_text(text, path):
    if "\x00" in text:
        raise SeedError("contains a NUL character (an escaped \\0)", field=path)
    if _SURROGATE.search(text):
        raise SeedError("contains an unpaired UTF-16 surrogate escape, which is not text", field=path)


def _locate_unreadable_value(front_matter):
    """Only on the error path: find which key holds the value the loader choked on."""
    try:
        plain = yaml.load(front_matter, Loader=yaml.BaseLoader)  # every scalar stays a string
    except yaml.YAMLError:
        return "a front matter value "
    stack = [((), plain)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((path + (str(key),), child) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((path + (f"[{index + 1}]",), child) for index, child in enumerate(item))
        elif isinstance(item, str):
            try:
                yaml.load(item, Loader=SafeLoader)
            except (ValueError, OverflowError, TypeError, yaml.YAMLError):
                name = ".".join(path).replace(".[", "[")
                return f"field '{name}': {item[:40]!r} "
    return "a front matter value "


def _yaml_problem(exc):
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{problem} (line {mark.line + 2}, column {mark.column + 1})"
    return problem


def _kind(value):
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


# --- field validators -----------------------------------------------------------------


def _text(mapping, key, *, max_length=None, required=False):
    value = mapping.get(key)
    if value is None:
        if required:
            raise SeedError("is missing", field=key)
        return ""
    if isinstance(value, (dict, list)):
        raise SeedError(f"must be text, not a {_kind(value)}", field=key)
    if isinstance(value, bool):
        raise SeedError("must be text, not a boolean", field=key)
    value = str(value) if not isinstance(value, str) else value
    if required and not value.strip():
        raise SeedError("is empty", field=key)
    if max_length is not None and len(value) > max_length:
        raise SeedError(f"is {len(value)} characters long; at most {max_length} are accepted", field=key)
    return value


def _int(mapping, key):
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SeedError(f"must be a whole number, not {value!r}", field=key)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise SeedError(f"must be a whole number, not {value!r}", field=key) from None
    if not INT_MIN <= value <= INT_MAX:
        raise SeedError(f"{value} is out of range", field=key)
    return value


def _bool(mapping, key):
    value = mapping.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise SeedError(f"must be true or false, not {value!r}", field=key)
    return value


def _datetime(value, key):
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
            raise SeedError(f"{value!r} is not an ISO 8601 date-time", field=key) from None
    else:
        raise SeedError(f"must be a date-time, not {value!r}", field=key)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _optional_url(mapping, key, notes, where=""):
    value = mapping.get(key)
    if value in (None, ""):
        return ""
    url = safe_url(value)
    if not url:
        notes.append(f"{where}{key}: dropped {str(value)[:80]!r} (only http(s) URLs are kept as links)")
    return url


def _provider(value, key):
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise SeedError(f"must be a mapping with name and domain, not a {_kind(value)}", field=key)
    name = _text(value, "name", max_length=MAX_NAME).strip()
    domain = _text(value, "domain", max_length=MAX_DOMAIN).strip().lower()
    if not name and not domain:
        return None
    return ParsedProvider(name=name or domain, domain=domain)


def _topics(value):
    if value is None:
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise SeedError(f"must be a list of names, not a {_kind(value)}", field="topics")
    topics = []
    for item in value:
        if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
            raise SeedError(f"every topic must be a name, not {item!r}", field="topics")
        name = str(item).strip()
        if len(name) > MAX_NAME:
            raise SeedError(f"topic {name[:40]!r}... is longer than {MAX_NAME} characters", field="topics")
        if name and name not in topics:
            topics.append(name)
    return topics


def _dimension(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT_MAX:
        return None
    return value


def _images(value, key, notes, where=""):
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"must be a list, not a {_kind(value)}", field=key)
    images = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict):
            raise SeedError(f"item {index + 1} must be a mapping with a url, not a {_kind(item)}", field=key)
        url = safe_url(item.get("url"))
        if not url:
            notes.append(f"{where}{key}[{index + 1}]: dropped {str(item.get('url'))[:80]!r} (not an http(s) URL)")
            continue
        title = item.get("title")
        images.append(
            ParsedImage(
                url=url,
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
                title=title if isinstance(title, str) else "",
            )
        )
    return images


def _related(value, notes):
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"must be a list, not a {_kind(value)}", field="related")
    related = []
    for index, item in enumerate(value):
        where = f"related[{index + 1}]."
        if not isinstance(item, dict):
            raise SeedError(f"item {index + 1} must be a mapping, not a {_kind(item)}", field="related")
        try:
            images = _images(item.get("images"), "images", notes, where)
            web_url = _optional_url(item, "webUrl", notes, where)
            related.append(
                ParsedRelated(
                    title=_text(item, "title"),
                    excerpt=_text(item, "excerpt"),
                    web_url=web_url,
                    url_key=url_key(web_url) if web_url else "",
                    canonical_url=stored_canonical_url(web_url),
                    amp_url=_optional_url(item, "ampWebUrl", notes, where),
                    cdn_amp_url=_optional_url(item, "cdnAmpWebUrl", notes, where),
                    published_at=_datetime(item.get("publishedDateTime"), "publishedDateTime"),
                    article_type=_text(item, "type", max_length=MAX_SHORT_TEXT),
                    provider=_provider(item.get("provider"), "provider"),
                    quality=_int(item, "quality"),
                    heat=_int(item, "heat"),
                    images_json=json.dumps([{"url": i.url, "width": i.width, "height": i.height} for i in images]),
                )
            )
        except SeedError as exc:
            raise SeedError(str(exc), field=f"related[{index + 1}]") from None
    return related


def derive_title(body):
    """A title for a body-only item: its first line of prose, cut at a word boundary."""
    for line in body.splitlines():
        line = " ".join(line.split())
        # A line of a few words is usually a dateline or an ad marker, not the story.
        if len(line.split()) >= 4:
            break
    else:
        line = " ".join(body.split())
    if len(line) <= DERIVED_TITLE_LENGTH:
        return line
    cut = line[:DERIVED_TITLE_LENGTH].rsplit(" ", 1)[0]
    return cut + "…"


_SECURED_KEY = re.compile(r"secured[ \t]*:")
_NEXT_TOP_LEVEL_LINE = re.compile(r"\n(?=[^ \t\n])")


def content_hash(front_matter, mapping, body):
    """Hash of what the source said, ignoring `secured` (it changes on every export).

    The usual file writes `secured:` as a top-level key whose value runs until the next
    line that starts in column 0; cutting that span out of the text is much cheaper than
    serialising the parsed mapping. Any other layout falls back to the mapping.
    """
    if "secured" in mapping:
        key = _match_at_line_start(front_matter, _SECURED_KEY, ("secured",))
        if key is None:
            comparable = {k: v for k, v in mapping.items() if k != "secured"}
            front_matter = json.dumps(comparable, sort_keys=True, default=str, ensure_ascii=False)
        else:
            end = _NEXT_TOP_LEVEL_LINE.search(front_matter, key.end())
            front_matter = front_matter[: key.start()] + (front_matter[end.end() :] if end else "")
    return hashlib.sha256(f"{front_matter}\x00{body}".encode()).hexdigest()


def parse_seed(data):
    """Parse and validate one seed file's bytes. Raises SeedError."""
    text = decode_seed(data)
    front_matter, body = split_front_matter(text)
    body_sha256 = hashlib.sha256(body.strip().encode()).hexdigest() if body.strip() else ""
    if front_matter is None:
        body = body.strip("\n")
        if not body.strip():
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

    mapping = load_front_matter(front_matter)
    notes = []
    raw_url = mapping.get("webUrl")
    if raw_url in (None, ""):
        raise SeedError("is missing; it identifies the article", field="webUrl")
    web_url = safe_url(raw_url)
    if not web_url:
        raise SeedError(f"{str(raw_url)[:80]!r} is not an absolute http(s) URL", field="webUrl")
    secured = mapping.get("secured")
    if secured is not None and not isinstance(secured, str):
        secured = json.dumps(secured, default=str, sort_keys=True)

    return ParsedSeed(
        source_key=url_key(web_url),
        content_sha256=content_hash(front_matter, mapping, body),
        body_sha256=body_sha256,
        has_front_matter=True,
        front_matter_raw=front_matter,
        title=_text(mapping, "title", required=True),
        body=body,
        excerpt=_text(mapping, "excerpt"),
        category=_text(mapping, "category", max_length=MAX_SHORT_TEXT).strip(),
        article_type=_text(mapping, "type", max_length=MAX_SHORT_TEXT).strip(),
        web_url=web_url,
        canonical_url=stored_canonical_url(web_url),
        amp_url=_optional_url(mapping, "ampWebUrl", notes),
        cdn_amp_url=_optional_url(mapping, "cdnAmpWebUrl", notes),
        published_at=_datetime(mapping.get("publishedDateTime"), "publishedDateTime"),
        quality=_int(mapping, "quality"),
        heat=_int(mapping, "heat"),
        source_published=_bool(mapping, "published"),
        secured=secured or "",
        provider=_provider(mapping.get("provider"), "provider"),
        topics=_topics(mapping.get("topics")),
        images=_images(mapping.get("images"), "images", notes),
        related=_related(mapping.get("related"), notes),
        notes=notes,
    )


def parse_seed_batch(payloads):
    """Worker entry point: [(index, bytes)] -> [(index, ParsedSeed or the error text)]."""
    results = []
    for index, data in payloads:
        try:
            results.append((index, parse_seed(data)))
        except SeedError as exc:
            results.append((index, str(exc)))
        except RecursionError:
            results.append((index, "front matter is nested too deeply"))
        except MemoryError:
            results.append((index, "front matter is too large to parse"))
    return results
