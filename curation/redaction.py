"""The imported front matter as editors and admins may see it: `secured` never in clear.

`secured` is an opaque blob the source changes on every export; it is stored but only
ever shown as its fingerprint. The source's own text is kept where the replacement can be
proved right (the text with the one top-level entry replaced parses to the original
mapping with the fingerprint in its place, and the blob appears nowhere else); otherwise
the mapping is written out again. When the stored text cannot be read safely any more,
nothing is shown: hiding the front matter is better than risking the blob.
"""

import json

import yaml
from django.conf import settings

from curation.seedformat import SeedError, SeedLimits, load_front_matter


def displayable_front_matter(article):
    """The raw front matter with `secured` replaced by its fingerprint; "" when the item
    had none; None when that cannot be done with certainty."""
    raw = article.front_matter_raw
    if not raw:
        return ""
    try:
        # The import's own loader: the same refusals (aliases, depth, size) on the way out.
        limits = SeedLimits.configured(settings)  # those it was imported under
        original = load_front_matter(raw, limits)
    except (SeedError, RecursionError, MemoryError):
        return None
    if "secured" not in original:
        return raw
    fingerprint = article.secured_fingerprint or "(empty)"
    expected = {**original, "secured": fingerprint}
    replaced = _replace_top_level_key(raw, "secured", fingerprint)
    secret = article.secured.strip()
    if replaced is not None and not (secret and secret in replaced):
        try:
            if load_front_matter(replaced, limits) == expected:
                return replaced
        except (SeedError, RecursionError):
            pass
    try:
        return yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=10**6)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None


def _replace_top_level_key(text, key, value):
    """`text` with the top-level `key:` entry (and its continuation lines) replaced."""
    lines = text.split("\n")
    for start, line in enumerate(lines):
        if line.startswith((f"{key}:", f'"{key}":', f"'{key}':")):
            end = start + 1
            # Continuation: indented lines, blank lines inside a block, flow continuations.
            while end < len(lines) and (lines[end][:1] in (" ", "\t") or lines[end] == ""):
                end += 1
            while end > start + 1 and lines[end - 1] == "":
                end -= 1
            return "\n".join(lines[:start] + [f"{key}: {json.dumps(value)}"] + lines[end:])
    return None
