"""The text of a seed file: decoding, the front matter's bounds, the content hash, a
derived title."""

import hashlib
import json
import re

from curation.seedformat.values import SeedError
from curation.validation import visible_name

BOM = "\ufeff"
DERIVED_TITLE_LENGTH = 120
# Matched at the start of a line: `$` with MULTILINE is the end of that line.
_FRONT_MATTER_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def nul_byte_reason(offset):
    """Why a file with a NUL byte fails (the reader says it before the parser would)."""
    return f"contains a NUL byte at offset {offset}; seed files are text"


def decode_seed(data):
    """Bytes to text: UTF-8 only, BOM dropped, CRLF and lone CR turned into LF."""
    nul_offset = data.find(b"\x00")
    if nul_offset != -1:
        raise SeedError(nul_byte_reason(nul_offset))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError(f"is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    if text.startswith(BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def opens_front_matter(text):
    """Does the text start with front matter (a first line `---`, trailing blanks allowed)?"""
    return text.partition("\n")[0].rstrip() == "---"


def split_front_matter(text):
    """Return (front_matter_text or None, body)."""
    first_line, _, rest = text.partition("\n")
    if not opens_front_matter(first_line):
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
    `starts`. str.find picks the candidate lines, many times quicker than a multi-line
    regex search. Each start's next candidate is remembered and searched for again only
    once passed, so the whole text is scanned once per start whatever the lines hold
    (searching afresh for every start at every candidate is quadratic: a crafted file of
    '---x' lines would take minutes)."""
    position = 0
    candidates = {start: text.find("\n" + start) for start in starts}
    while True:
        match = pattern.match(text, position)
        if match is not None:
            return match
        for start, at in candidates.items():
            if at != -1 and at < position:
                candidates[start] = text.find("\n" + start, position)
        found = [at for at in candidates.values() if at != -1]
        if not found:
            return None
        position = min(found) + 1


def derive_title(body):
    """A title for a body-only item: its first line of prose, cut at a word boundary."""
    for line in body.splitlines():
        line = visible_name(" ".join(line.split()))
        # A line of a few words is usually a dateline or an ad marker, not the story.
        if len(line.split()) >= 4:
            break
    else:
        line = visible_name(" ".join(body.split()))
    if len(line) <= DERIVED_TITLE_LENGTH:
        return line
    cut = line[:DERIVED_TITLE_LENGTH].rsplit(" ", 1)[0]
    return cut + "…"


_SECURED_KEY = re.compile(r"secured[ \t]*:")
_NEXT_TOP_LEVEL_LINE = re.compile(r"\n(?=[^ \t\n])")


def content_hash(front_matter, mapping, body, *, secured_span=None):
    """Hash of what the source said, ignoring `secured` (it changes on every export).

    The usual file writes `secured:` as a top-level key whose value runs until the next
    line that starts in column 0; cutting that span out of the text is much cheaper than
    serialising the parsed mapping. `secured_span` is where the parser found the entry
    (safeyaml.entry_spans): the cut is made only where it covers that entry and nothing
    else, since a span found in the text alone took in a line of a quoted value that starts
    with `secured:`, or a key that follows a line separator (libyaml breaks lines there),
    and a change there was reported unchanged and never imported. Any other layout falls
    back to the mapping.
    """
    if "secured" in mapping:
        cut = _secured_cut(front_matter, secured_span)
        if cut is None:
            front_matter = stable_json({k: v for k, v in mapping.items() if k != "secured"})
        else:
            front_matter = front_matter[: cut[0]] + front_matter[cut[1] :]
    return hashlib.sha256(f"{front_matter}\x00{body}".encode()).hexdigest()


def _secured_cut(front_matter, span):
    """(start, end) of the text to leave out of the hash: from the `secured` key at the start
    of a line to the next line that starts in column 0, as before the parser's span was
    checked (so a usual file keeps its stored hash), or None unless that is exactly the
    entry: it must hold the whole value and end at the latest where the next key starts."""
    if span is None:
        return None
    start, value_end, next_key = span
    if start and front_matter[start - 1] != "\n":
        return None
    key = _SECURED_KEY.match(front_matter, start)
    if key is None:
        return None
    end = _NEXT_TOP_LEVEL_LINE.search(front_matter, key.end())
    end = end.end() if end else len(front_matter)
    if end < value_end or (next_key is not None and end > next_key):
        return None
    return start, end


def stable_json(value):
    """JSON text for a parsed value, keys sorted where they can be. YAML keys may be dates,
    numbers or None beside strings: dates become their ISO text, and a mapping whose keys
    still mix types (`{1: a, b: c}`) cannot be sorted, so it keeps the file's order, which
    is as stable for the same text."""
    value = _json_keys(value)
    try:
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    except TypeError:
        return json.dumps(value, default=str, ensure_ascii=False)


def _json_keys(value):
    if isinstance(value, dict):
        return {
            key if key is None or isinstance(key, (str, int, float)) else str(key): _json_keys(child)
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [_json_keys(child) for child in value]
    return value
