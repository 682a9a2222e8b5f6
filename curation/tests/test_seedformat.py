"""Front-matter splitting and the secured-blind content hash: the str.find shortcuts must
give what the plain multi-line regexes they replaced give, on every layout."""

import re

import pytest

from curation.seedformat import SeedError, content_hash, split_front_matter

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
    assert content_hash(front_matter, {"secured": "x"}, "Body") == content_hash(other, {"secured": "y"}, "Body")
    # ...and is the hash of the text without the key, as with the regex it replaced.
    key = SECURED_KEY.search(front_matter)
    end = re.compile(r"\n(?=[^ \t\n])").search(front_matter, key.end())
    without = front_matter[: key.start()] + (front_matter[end.end() :] if end else "")
    assert content_hash(front_matter, {"secured": "x"}, "Body") == content_hash(without, {}, "Body")


def test_content_hash_still_sees_a_change_next_to_the_blob():
    before = "title: a\nsecuredNote: keep\nsecured: BLOB\n"
    after = before.replace("keep", "changed")
    assert content_hash(before, {"secured": "x"}, "Body") != content_hash(after, {"secured": "x"}, "Body")
