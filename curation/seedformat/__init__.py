"""Parsing and validation of seed files.

A seed file is a YAML front-matter block between `---` lines followed by the article body;
either part may be missing. Seed files are untrusted: this package turns bytes into a
`ParsedSeed` of plain, validated values, or raises `SeedError` with a reason an operator can
act on. It imports nothing from Django so that worker processes can load it cheaply.

    values.py       ParsedSeed and its parts, SeedLimits, SeedError, the identity keys
    text.py         bytes to text, the front matter's bounds, the content hash, derived titles
    frontmatter.py  the front matter as YAML (safeyaml's checked CSafeLoader)
    fields.py       one validator per kind of field
    parse.py        parse_seed (raises) and parse_one (never raises): the whole file
"""

from curation.seedformat.frontmatter import SafeLoader, load_front_matter
from curation.seedformat.parse import parse_one, parse_seed, parse_seed_batch
from curation.seedformat.text import content_hash, decode_seed, derive_title, split_front_matter
from curation.seedformat.values import (
    ParsedImage,
    ParsedProvider,
    ParsedRelated,
    ParsedSeed,
    SeedError,
    SeedLimits,
    body_key,
    url_key,
)

__all__ = [
    "ParsedImage",
    "ParsedProvider",
    "ParsedRelated",
    "ParsedSeed",
    "SafeLoader",
    "SeedError",
    "SeedLimits",
    "body_key",
    "content_hash",
    "decode_seed",
    "derive_title",
    "load_front_matter",
    "parse_one",
    "parse_seed",
    "parse_seed_batch",
    "split_front_matter",
    "url_key",
]
