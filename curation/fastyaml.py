"""PyYAML's C loader with a quicker construction step, for the import's hot path.

`yaml.CSafeLoader` parses in C (libyaml) but builds the Python objects in pure Python,
through a general constructor: a generator per mapping and sequence, a table lookup and
bookkeeping per node. That construction step is about two thirds of the time
`yaml.load(text, Loader=CSafeLoader)` takes on a seed file.

`FastSafeLoader` keeps libyaml's parser and PyYAML's resolver (so every plain scalar gets
exactly the tag it gets with CSafeLoader) and builds the plain documents seed files are
made of (mappings with plain keys, sequences, strings, numbers, booleans, nulls,
timestamps) with one small recursive function, reusing SafeConstructor's own scalar
constructors for everything but strings and plain decimal integers. Anything else
(merge keys `<<`, explicit tags such as `!!set` or `!!binary`, unhashable keys, unknown
tags) sends the whole document through the standard SafeConstructor, so the result, and
every error, is the one CSafeLoader gives. tests/test_fastyaml.py compares the two.
"""

import datetime as dt

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
# Scalar tags whose SafeConstructor functions depend on the node's value alone.
_SCALAR_TAGS = {
    tag: SafeConstructor.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        INT_TAG,
        "tag:yaml.org,2002:float",
        TIMESTAMP_TAG,
    )
}


_DATE_TIME_SEPARATORS = ("T", " ")
# Bounds on the resolve memo: a few thousand distinct short texts in practice.
_RESOLVED_MAX_LENGTH = 40
_RESOLVED_MAX_ENTRIES = 20_000
_resolved = {}


class _UseStandardConstructor(Exception):
    """The document has something the quick path leaves to SafeConstructor."""


class FastSafeLoader(_BaseLoader):
    def resolve(self, kind, value, implicit):
        # Resolver.resolve, less its support for path resolvers and wildcard implicit
        # resolvers, which SafeLoader has none of (checked once, below the class).
        if kind is ScalarNode:
            if implicit[0]:
                # A plain scalar's tag depends on its text alone, and the same short texts
                # (keys, scores, sizes, true/false) come back in every file: remember them.
                tag = _resolved.get(value)
                if tag is None:
                    tag = STR_TAG
                    for candidate, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                        if regexp.match(value):
                            tag = candidate
                            break
                    if len(value) <= _RESOLVED_MAX_LENGTH and len(_resolved) < _RESOLVED_MAX_ENTRIES:
                        _resolved[value] = tag
                return tag
            return STR_TAG
        return SEQ_TAG if kind is SequenceNode else MAP_TAG

    # The C composer calls these two around every node to follow path resolvers, which
    # SafeLoader has none of. Builtins that ignore what they are given cost a fraction of
    # a Python call (neither binds to the instance: `{}.get(parent, index)`, `tuple()`).
    descend_resolver = {}.get
    ascend_resolver = tuple

    def construct_document(self, node):
        try:
            return self._build(node, {})
        except _UseStandardConstructor:
            # Nothing was changed on the nodes, so the standard constructor starts clean.
            return super().construct_document(node)

    def _build(self, node, built):
        node_type = type(node)
        tag = node.tag
        if node_type is ScalarNode:
            if tag == STR_TAG:
                return node.value
            if tag == INT_TAG:
                value = node.value
                # A plain decimal; YAML 1.1 reads a leading 0 as octal, "1_000" and "1:30" too: leave those.
                if value.isdigit() and value.isascii() and (value[0] != "0" or value == "0"):
                    return int(value)
            if tag == TIMESTAMP_TAG:
                value = node.value
                # The usual "2020-02-06T15:15:00Z" and "2020-02-06 15:15:00+01:00" (what
                # yaml.dump writes). The resolver has matched the digits; these lengths and
                # separators leave no other reading. The time zone is built as SafeConstructor
                # builds it, so even a bad value fails alike.
                if value[4:5] == value[7:8] == "-" and value[10:11] in _DATE_TIME_SEPARATORS:
                    if len(value) == 20 and value[19] == "Z":
                        zone = dt.UTC
                    elif len(value) == 25 and value[19] in "+-" and value[22] == ":":
                        offset = dt.timedelta(hours=int(value[20:22]), minutes=int(value[23:25]))
                        zone = dt.timezone(-offset if value[19] == "-" else offset)
                    else:
                        zone = None
                    if zone is not None:
                        return dt.datetime(
                            int(value[:4]), int(value[5:7]), int(value[8:10]),
                            int(value[11:13]), int(value[14:16]), int(value[17:19]), tzinfo=zone,
                        )  # fmt: skip
            constructor = _SCALAR_TAGS.get(tag)
            if constructor is None:
                raise _UseStandardConstructor
            return constructor(self, node)
        # A collection reached again is an alias: the same object, as SafeConstructor gives.
        if node in built:
            return built[node]
        if node_type is MappingNode and tag == MAP_TAG:
            mapping = built[node] = {}
            build = self._build
            for key_node, value_node in node.value:
                # Merge (`<<`) and value (`=`) keys are rewritten by SafeConstructor.
                if type(key_node) is not ScalarNode or key_node.tag not in _PLAIN_KEY_TAGS:
                    raise _UseStandardConstructor
                key = key_node.value if key_node.tag == STR_TAG else build(key_node, built)
                # Most values are strings: taken here, without a call per value.
                if type(value_node) is ScalarNode and value_node.tag == STR_TAG:
                    mapping[key] = value_node.value
                else:
                    mapping[key] = build(value_node, built)
            return mapping
        if node_type is SequenceNode and tag == SEQ_TAG:
            sequence = built[node] = []
            build = self._build
            for child in node.value:
                sequence.append(build(child, built))
            return sequence
        raise _UseStandardConstructor


# The shortcuts in FastSafeLoader.resolve hold only while these do.
assert not FastSafeLoader.yaml_path_resolvers and None not in FastSafeLoader.yaml_implicit_resolvers
assert (FastSafeLoader.DEFAULT_SCALAR_TAG, FastSafeLoader.DEFAULT_SEQUENCE_TAG, FastSafeLoader.DEFAULT_MAPPING_TAG) == (
    STR_TAG,
    SEQ_TAG,
    MAP_TAG,
)

# Key tags the quick path builds (collections as keys are unhashable and left to SafeConstructor).
_PLAIN_KEY_TAGS = {STR_TAG, *_SCALAR_TAGS}
