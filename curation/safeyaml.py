"""YAML from untrusted files: PyYAML's CSafeLoader as shipped, plus checks on structure.

libyaml parses and composes (in C, through PyYAML's `_yaml` extension) and PyYAML's
SafeConstructor builds the Python values; nothing here builds values itself. The subclass
only refuses, each at the earliest point where the structure is known, what would make a
small file expensive or fatal:

- nesting: the C composer recurses once per level, and about 25,000 nested collections
  overflow the C stack (a segfault, not an exception). It calls `descend_resolver` before
  composing each node and `ascend_resolver` after, so counting there is the composer's own
  account of depth, in flow (`[[[`) and block (`- - -`) style alike, whatever precedes a
  token; past the limit it stops before the recursion is any deeper.
- node count: counted at the same place, so a 2 MB file of `[1,1,1,...]` is refused before
  a million values are constructed.
- aliases: an alias makes the composer hand back a node it composed before, without a
  `descend_resolver` call. A walk of the composed graph that meets more nodes than were
  composed has met one; it stops there, so a "billion laughs" costs no more than its size.
  That happens before anything is constructed, and no character before `*` (a BOM, a tab)
  can hide an alias from it, as it could from a test on the text.
- long numbers: a base-60 integer (`1:0:0:...`) is computed by repeated multiplication,
  quadratic in its length (a 1 MB one takes minutes); numbers longer than a number can
  usefully be are refused before SafeConstructor computes them.

Every refusal is a `RefusedYAML`, a `yaml.YAMLError`, so callers that catch YAML errors
(the export reads stored front matter with this loader) need nothing new.
"""

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _StockSafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _StockSafeLoader

DEFAULT_MAX_DEPTH = 20
DEFAULT_MAX_NODES = 50_000
# Longer than any number a seed carries; sexagesimal and underscored forms included.
MAX_NUMBER_TEXT = 100
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"


class RefusedYAML(yaml.YAMLError):
    """The document is valid YAML but is refused for its structure; the message says why."""


class UnreadableValue(yaml.YAMLError):
    """SafeConstructor could not build a value (e.g. `!!int ""`); `path` names where."""

    def __init__(self, path, line, text, error):
        self.path, self.line, self.text = path, line, text
        super().__init__(f"{text!r} cannot be read: {error}")


class SeedYAMLLoader(_StockSafeLoader):
    """CSafeLoader with the structural checks described in the module docstring."""

    max_depth = DEFAULT_MAX_DEPTH
    max_nodes = DEFAULT_MAX_NODES
    # Added to line numbers in reasons: the text may start below line 1 of a file.
    line_offset = 0

    def __init__(self, stream, *, max_depth=None, max_nodes=None, line_offset=None):
        super().__init__(stream)
        if max_depth is not None:
            self.max_depth = max_depth
        if max_nodes is not None:
            self.max_nodes = max_nodes
        if line_offset is not None:
            self.line_offset = line_offset
        self._count_nodes(self.max_depth, self.max_nodes)

    def _count_nodes(self, max_depth, max_nodes):
        """The composer calls descend_resolver before each node and ascend_resolver after
        (see the module docstring). They are closures over plain locals, set on the
        instance: the composer calls them for every node, and attribute access on a
        subclass of the C parser costs several times a closure's cell."""
        depth = composed = 0

        def descend_resolver(current_node, current_index):
            nonlocal depth, composed
            depth += 1
            composed += 1
            if depth > max_depth:
                raise RefusedYAML(f"front matter is nested more than {max_depth} levels deep")
            if composed > max_nodes:
                raise RefusedYAML(f"front matter has more than {max_nodes:,} YAML values")

        def ascend_resolver():
            nonlocal depth
            depth -= 1

        self.descend_resolver, self.ascend_resolver = descend_resolver, ascend_resolver
        self.composed_nodes = lambda: composed

    def _check_number(self, node):
        if len(node.value) > MAX_NUMBER_TEXT:
            raise RefusedYAML(f"a number of {len(node.value):,} characters (line {self._line(node)}) is refused")

    def construct_yaml_int(self, node):
        self._check_number(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        self._check_number(node)
        return super().construct_yaml_float(node)

    def _line(self, node):
        return node.start_mark.line + 1 + self.line_offset

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        refuse_aliases(node, self.composed_nodes(), self.line_offset)
        try:
            return self.construct_document(node)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # noqa: BLE001 - SafeConstructor raises KeyError, IndexError, ... for odd tagged values
            raise _locate_unreadable(node, exc, self.line_offset) from None


SeedYAMLLoader.add_constructor(INT_TAG, SeedYAMLLoader.construct_yaml_int)
SeedYAMLLoader.add_constructor(FLOAT_TAG, SeedYAMLLoader.construct_yaml_float)


def load(
    text,
    *,
    max_depth=DEFAULT_MAX_DEPTH,
    max_nodes=DEFAULT_MAX_NODES,
    line_offset=0,
    unique_keys=False,
    spans=None,
    repeated=None,
):
    """The document in `text`, checked as above. Raises yaml.YAMLError (RefusedYAML and
    UnreadableValue included) for a bad document. `unique_keys`: a mapping that names one
    key twice is refused (PyYAML keeps the last silently), for files people write. `spans`:
    a dict filled with where the top-level entries of a mapping stand (`entry_spans`).
    `repeated`: a list filled with the top-level keys named more than once, as (key, line
    of the first, line of the one kept), for files whose writers cannot be made to fix them."""
    loader = SeedYAMLLoader(text, max_depth=max_depth, max_nodes=max_nodes, line_offset=line_offset)
    if unique_keys or spans is not None or repeated is not None:
        get_single_node = loader.get_single_node

        def checked_node():
            node = get_single_node()
            if node is not None and unique_keys:
                refuse_duplicate_keys(node, line_offset)
            if node is not None and spans is not None:
                spans.update(entry_spans(node))
            if node is not None and repeated is not None:
                repeated.extend(repeated_keys(node, line_offset))
            return node

        loader.get_single_node = checked_node
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def entry_spans(root):
    """{key: (where the key starts, where its value ends, where the next key starts or
    None)} for the scalar keys of a mapping document, as indexes into its text (libyaml's
    marks count characters, as Python does; its lines do not: it breaks lines at U+2028,
    U+2029 and NEL too). A key named twice keeps its first entry."""
    if not isinstance(root, MappingNode):
        return {}
    spans = {}
    entries = root.value
    for position, (key, value) in enumerate(entries):
        if isinstance(key, ScalarNode):
            following = entries[position + 1][0].start_mark.index if position + 1 < len(entries) else None
            spans.setdefault(key.value, (key.start_mark.index, value.end_mark.index, following))
    return spans


def repeated_keys(root, line_offset=0):
    """[(key, line of its first entry, line of its last)] for the scalar keys a mapping
    document names more than once at its top level (PyYAML keeps the last value)."""
    if not isinstance(root, MappingNode):
        return []
    first, last = {}, {}
    for key, _value in root.value:
        if isinstance(key, ScalarNode):
            line = key.start_mark.line + 1 + line_offset
            if key.value in first:
                last[key.value] = line
            else:
                first[key.value] = line
    return [(name, first[name], line) for name, line in last.items()]


def refuse_duplicate_keys(root, line_offset=0):
    """Raise RefusedYAML at the first mapping that names a key twice (`{a: 1, a: 2}` reads
    as `{a: 2}`: in a rules file, a condition silently gone). Keys are compared as written
    and resolved (`1` and `0x1` differ here: only plain repetition is what people write)."""
    stack = [root]
    while stack:
        node = stack.pop()
        children = node.value
        if type(children) is not list:
            continue
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key, _ in children:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1 + line_offset
                    if (key.tag, key.value) in seen:
                        raise RefusedYAML(
                            f"the key {key.value[:80]!r} appears twice in one mapping "
                            f"(lines {seen[(key.tag, key.value)]} and {line}); only the last would count"
                        )
                    seen[(key.tag, key.value)] = line
        for child in children:
            if type(child) is tuple:
                stack.extend(child)
            else:
                stack.append(child)


def refuse_aliases(root, composed, line_offset=0):
    """Raise RefusedYAML if the graph under `root` reaches any node twice.

    `composed` is how many nodes the composer built: a walk of a tree meets exactly that
    many, so meeting one more proves a shared node, and the walk never goes further."""
    met = 0
    stack = [root]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        met += 1
        if met > composed:
            raise RefusedYAML(f"YAML aliases are not accepted (line {_first_shared_line(root) + line_offset})")
        children = node.value
        if type(children) is list:  # a collection: a list of nodes, or of (key, value) pairs
            for child in children:
                if type(child) is tuple:
                    extend(child)
                else:
                    push(child)


def _first_shared_line(root):
    """Only on the error path: the line of the first node met twice (1-based)."""
    seen = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node.start_mark.line + 1
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
    return 0


def _locate_unreadable(root, error, line_offset):
    """Only on the error path: find the scalar SafeConstructor cannot build, and say where.

    Each scalar is built alone with a fresh constructor; the document is a tree (aliases
    were refused) of bounded size, so this is as cheap as the failed attempt was."""
    stack = [((), root)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, ScalarNode):
            try:
                SeedYAMLLoader("").construct_object(node, deep=True)
            except Exception as exc:  # noqa: BLE001 - the failure is what we are looking for
                name = ".".join(path).replace(".[", "[")
                return UnreadableValue(name, node.start_mark.line + 1 + line_offset, node.value[:40], _describe(exc))
        elif isinstance(node, SequenceNode):
            stack.extend((path + (f"[{index + 1}]",), child) for index, child in reversed(list(enumerate(node.value))))
        elif isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                label = key.value if isinstance(key, ScalarNode) else "?"
                stack.append((path + (str(label),), value))
                stack.append((path + (str(label),), key))
    return UnreadableValue("", root.start_mark.line + 1 + line_offset, "", _describe(error))


def _describe(exc):
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
