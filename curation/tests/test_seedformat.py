"""Front-matter splitting, the secured-blind content hash and URL checks:
the shortcuts must give what the plain code they replaced gives, on every input."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.seedformat import SeedError, content_hash, load_front_matter, split_front_matter
from curation.validation import MAX_URL_LENGTH, _authority_is_sound, safe_url

# What the shortcuts replaced, kept here as the reference.
CLOSING_LINE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
SECURED_KEY = re.compile(r"^secured[ \t]*:", re.MULTILINE)


def reference_split(text):
    rest = text.partition("\n")[2]
    closing = CLOSING_LINE.search(rest)
    body = rest[closing.end() :]
    return rest[: closing.start()], body[1:] if body.startswith("\n") else body


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: a\n---\nBody.\n",
        "---\ntitle: a\n...\nBody.\n",
        "---\ntitle: a\n---   \nBody.\n",  # trailing blanks on the closing line
        "---\ntitle: a\n---\t\n\nBody.\n",
        "---\n---\nBody right away.\n",  # the closing line is the first
        "---\ntitle: a\n----\nnot: closed yet\n---\nBody.\n",  # a longer rule does not close
        "---\ntitle: a\n---x\nb: 1\n...\nBody ends with\n---\n",  # '---x' neither; the first closer wins
        "---\nsummary: |\n  text\n  ---\n---\nBody.\n",  # indented '---' is YAML content
        "---\ntitle: a\n...\nBody\n---\nmore\n",  # '...' closes before a later '---'
        "---\ntitle: a\n---",  # closed at the very end, no body
    ],
)
def test_split_matches_the_multiline_regex(text):
    assert split_front_matter(text) == reference_split(text)


def test_unclosed_front_matter_is_refused():
    with pytest.raises(SeedError, match="never closed"):
        split_front_matter("---\ntitle: a\n----\nb: ---\n")


@pytest.mark.parametrize(
    "front_matter",
    [
        "secured: BLOB\ntitle: a\n",  # first line
        "title: a\nsecured: BLOB\nquality: 3\n",
        "title: a\nsecured : BLOB\n",  # blank before the colon, last line
        "title: a\nsecuredNote: keep\nsecured: BLOB\n",  # a longer key is not it
        "title: a\nsecured: >-\n  BLOB\n  more\nquality: 3\n",  # a folded value spans lines
    ],
)
def test_content_hash_ignores_the_secured_blob_wherever_it_stands(front_matter):
    other = front_matter.replace("BLOB", "ANOTHER-BLOB")
    assert hashed(front_matter) == hashed(other)
    # ...and is the hash of the text without the key, as with the regex it replaced, so
    # that the hashes stored before stay valid.
    key = SECURED_KEY.search(front_matter)
    end = re.compile(r"\n(?=[^ \t\n])").search(front_matter, key.end())
    without = front_matter[: key.start()] + (front_matter[end.end() :] if end else "")
    assert hashed(front_matter) == content_hash(without, {}, "Body")


def test_content_hash_still_sees_a_change_next_to_the_blob():
    before = "title: a\nsecuredNote: keep\nsecured: BLOB\n"
    after = before.replace("keep", "changed")
    assert hashed(before) != hashed(after)


def hashed(front_matter):
    """The hash as the import computes it: with where the parser found each entry."""
    spans = {}
    mapping = load_front_matter(front_matter, spans=spans)
    return content_hash(front_matter, mapping, "Body", secured_span=spans.get("secured"))


# What safe_url's one pattern replaced: a prefix pattern, then a search for what is forbidden.
HTTP_URL_PREFIX = re.compile(r"https?://(?:[^/?#\s@]*@)?[^/?#\s@:]+", re.IGNORECASE)
URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")


def reference_safe_url(value):
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > MAX_URL_LENGTH or not HTTP_URL_PREFIX.match(value) or URL_FORBIDDEN.search(value):
        return ""
    return value


# Every character class the patterns tell apart: separators, spaces, controls, others.
URL_CHARS = "aZé.:/@?#% \t\n\x00\x01\x1f\x7f\xa0\u2028"
url_text = st.builds(
    "{}{}{}".format,
    st.sampled_from(["http://", "HTTPS://", "https:/", "ftp://", "", " http://"]),
    st.text(alphabet=URL_CHARS, max_size=8),
    st.text(alphabet=URL_CHARS, max_size=8),
)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(url_text, st.text(max_size=40), st.none(), st.integers()))
def test_safe_url_accepts_what_the_two_patterns_accepted(value):
    # ... unless the host or port is not one (test_hostile_urls.py), which they let through.
    expected = reference_safe_url(value)
    assert safe_url(value) == (expected if expected and _authority_is_sound(expected.strip()) else "")
