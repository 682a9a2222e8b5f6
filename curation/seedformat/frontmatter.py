"""The front matter as YAML: PyYAML's C loader with the structural checks of safeyaml, and
the strings no database stores alike refused."""


import yaml

from curation import safeyaml
from curation.seedformat.values import SeedError, SeedLimits
from curation.validation import has_lone_surrogate

# The loader every reader of seed front matter uses (the export reads stored front matter too).
SafeLoader = safeyaml.SeedYAMLLoader


def load_front_matter(front_matter, limits=None, *, spans=None, repeated=None):
    """The front matter's mapping; `spans` and `repeated`, if given, are filled as
    safeyaml.load describes."""
    limits = limits or SeedLimits()
    try:
        # line_offset 1: the front matter starts on line 2 of the file, below the opening '---'.
        mapping = safeyaml.load(
            front_matter,
            max_depth=limits.max_depth,
            max_nodes=limits.max_yaml_nodes,
            line_offset=1,
            spans=spans,
            repeated=repeated,
        )
    except safeyaml.RefusedYAML as exc:
        raise SeedError(str(exc)) from None
    except safeyaml.UnreadableValue as exc:
        raise SeedError(f"{exc} (line {exc.line})", field=exc.path or None) from None
    except yaml.YAMLError as exc:
        raise SeedError(f"front matter is not valid YAML: {_yaml_problem(exc)}") from None
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise SeedError(f"front matter must be a mapping of keys to values, not a {kind(mapping)}")
    for key in mapping:
        if not isinstance(key, str):
            raise SeedError(f"front matter key {str(key)[:40]!r} is not a string")
    if "\\" in front_matter:
        _check_escaped_text(mapping)
    return mapping


def _check_escaped_text(mapping):
    """Refuse strings that no database stores alike. Only escape sequences make them: YAML
    turns "\\0" into a NUL, which PostgreSQL refuses and SQLite keeps, and "\\ud800" into a
    lone surrogate, which is not UTF-8 at all. (The loader bounded depth and size, and
    refused aliases, so this walk is over a tree no larger than the file.)"""
    stack = [(mapping, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str):
                    _check_text(key, path or "front matter key")
                stack.append((child, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index + 1}]") for index, child in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, path)


def _check_text(text, path):
    if "\x00" in text:
        raise SeedError("contains a NUL character (an escaped \\0)", field=path)
    if has_lone_surrogate(text):
        raise SeedError("contains an unpaired UTF-16 surrogate escape, which is not text", field=path)


def _yaml_problem(exc):
    """libyaml's reason, with where it is in the file (front matter line + 1) and, for the
    errors that name two places (a duplicate anchor), both."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None:
        return f"{context} (line {context_mark.line + 2}), {problem} (line {mark.line + 2}, column {mark.column + 1})"
    if mark is not None:
        return f"{problem} (line {mark.line + 2}, column {mark.column + 1})"
    return problem


def kind(value):
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
        bytes: "binary value",
        set: "set",
        tuple: "pair",
    }.get(type(value), type(value).__name__)
