"""The values a seed file becomes, the limits on them, and the error a bad file raises."""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from curation import safeyaml


@dataclass(frozen=True)
class SeedLimits:
    """What one seed file may hold. The defaults are the settings' defaults (newsroom/settings.py,
    README "Configuration"); the importer passes the configured values. Over a limit the
    file fails with a reason naming the field, except images and related items, which are
    cut to the limit with a note: the article is still whole without the extra ones."""

    max_title: int = 1_000
    max_excerpt: int = 10_000
    max_body: int = 1_000_000
    max_topics: int = 50
    max_related: int = 100
    max_images: int = 50
    max_depth: int = safeyaml.DEFAULT_MAX_DEPTH
    max_yaml_nodes: int = safeyaml.DEFAULT_MAX_NODES

    @classmethod
    def configured(cls, settings):
        """The limits `settings` (Django's, or anything with the same names) configure."""
        return cls(**{field: getattr(settings, name) for field, name in LIMIT_SETTINGS.items()})


# Each SeedLimits field and the setting that configures it (README, "Configuration").
LIMIT_SETTINGS = {
    "max_title": "SEED_MAX_TITLE_CHARS",
    "max_excerpt": "SEED_MAX_EXCERPT_CHARS",
    "max_body": "SEED_MAX_BODY_CHARS",
    "max_topics": "SEED_MAX_TOPICS",
    "max_related": "SEED_MAX_RELATED",
    "max_images": "SEED_MAX_IMAGES",
    "max_depth": "SEED_MAX_DEPTH",
    "max_yaml_nodes": "SEED_MAX_YAML_NODES",
}


class SeedError(ValueError):
    """The file cannot be imported; the message says why (and which field, if any)."""

    def __init__(self, message, *, field=None):
        self.field = field
        self.reason = message
        # A field's name may hold a key of the file (`secured.<key>`): shown printable, so
        # that no key can break or reorder the line of a report that quotes it.
        super().__init__(f"field '{printable(field)}': {message}" if field else message)


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


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text, *, backslash=True):
    """`text` as one line of printable characters: control and other invisible characters
    (newline, escape, bidirectional overrides, line separators) as `\\n`, `\\x1b`, `\\u202e`,
    a byte os.fsdecode could not decode (a surrogate escape) as `\\xff`, and, with
    `backslash`, a backslash as `\\\\`, so that two different texts never show alike. Used for
    whatever a file puts in a line of a report: its name, a key of its front matter."""
    if text.isprintable() and not (backslash and "\\" in text):
        return text
    shown = []
    for character in text:
        if character in _ESCAPES and (backslash or character != "\\"):
            shown.append(_ESCAPES[character])
        elif "\udc80" <= character <= "\udcff":
            shown.append(f"\\x{ord(character) - 0xDC00:02x}")
        elif character.isprintable() or character == "\\":
            shown.append(character)
        elif ord(character) <= 0xFF:
            shown.append(f"\\x{ord(character):02x}")
        elif ord(character) <= 0xFFFF:
            shown.append(f"\\u{ord(character):04x}")
        else:
            shown.append(f"\\U{ord(character):08x}")
    return "".join(shown)
