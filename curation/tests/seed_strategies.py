"""Hypothesis strategies for hostile seed files: generated YAML documents (nested mappings,
lists, scalars of every YAML type, odd keys, shared objects that dump as anchors and
aliases) dumped in varied styles, then mutated as an attacker would (tags, BOMs at line
starts, aliases, tabs, deep nesting, stray indicators), and raw bytes.

Used by test_import_property.py (a few hundred examples in the suite) and by
bench/fuzz_seeds.py (100,000 and more).
"""

import datetime as dt
from pathlib import Path

import yaml
from hypothesis import strategies as st

REAL_SEED = Path(__file__).resolve().parents[2] / "fixtures" / "real-seeds" / "000_5791a4ba6fe0fc15.txt"

# Texts that mean something to YAML, to the resolver, to the importer or to a database.
TRICKY_TEXT = [
    "", " ", "~", "null", "Null", "yes", "No", "on", "y", "0", "00", "07", "08", "0x1F", "0b101", "0o7", "1_000",
    "1:30", "190:20:30.15", "1" + ":00" * 60, "1e999", ".inf", "-.Inf", ".NaN", "-0", "2**31", "2147483648",
    "-2147483649", "123456789012345678901234567890", "2020-02-06", "2020-02-06T15:15:00Z", "2020-02-06T1:15:00 Z",
    "2020-13-45T99:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2020-02-30",
    "\ufeff", "\ufeff*a", "*a", "&a", "!!int", "!!bool", "- x", "? x", ": x", "%TAG ! !", "---", "...", "#",
    "\t", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\u202e", "\u200b", "'", '"', "\\", "\\0", "\\ud800",
    "{", "}", "[", "]", ",", "|", ">", "@", "`", "http://", "https://x.example/",
    "javascript:alert(1)", "data:text/html,x", "//cdn.example/x", "https://user@host:80/p?q#f",
    "A" * 300, "AI", "ai", "A.I.", "Zap0?", "Zap0!", "caf\u00e9", "cafe\u0301", "\u4e2d\u6587", "\U0001f4f0",
]
SEED_KEYS = [
    "title", "excerpt", "webUrl", "ampWebUrl", "cdnAmpWebUrl", "publishedDateTime", "type", "category",
    "quality", "heat", "published", "provider", "topics", "images", "related", "secured", "name", "domain",
    "url", "width", "height", "<<", "=", "secured ", "Title", "\ufefftitle",
]
TAGS = [
    "!!int", "!!float", "!!bool", "!!null", "!!str", "!!timestamp", "!!binary", "!!set", "!!omap", "!!pairs",
    "!!seq", "!!map", "!!merge", "!!value", "!", "!foo", "!!python/object/apply:os.system",
    "!<tag:yaml.org,2002:int>", "!!python/name:os.system",
]
URLS = ["https://news.example/a", "http://x.example/b?c=d", "ftp://x.example/", "javascript:alert(1)", "", None]

text = st.one_of(
    st.sampled_from(TRICKY_TEXT),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.text(alphabet=" :-?*&!|>'\"#%@`{}[],\t\n\ufeff\\", max_size=12),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(timezones=st.sampled_from([dt.timezone(dt.timedelta(0)), dt.timezone(dt.timedelta(hours=5)), dt.timezone(-dt.timedelta(hours=3))])),
)
keys = st.one_of(
    st.sampled_from(SEED_KEYS),
    text,
    st.integers(min_value=-5, max_value=5),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
seed_mappings = st.fixed_dictionaries(
    {
        "title": st.one_of(text, values),
        "webUrl": st.one_of(st.sampled_from(URLS[:2]), st.sampled_from(URLS), text),
    },
    optional={
        "excerpt": values,
        "publishedDateTime": st.one_of(scalars, st.sampled_from(TRICKY_TEXT)),
        "quality": scalars,
        "heat": scalars,
        "published": scalars,
        "provider": st.one_of(text, st.dictionaries(st.sampled_from(["name", "domain", "x"]), values, max_size=3)),
        "topics": st.one_of(values, st.lists(text, max_size=8)),
        "images": st.one_of(values, st.lists(st.one_of(st.sampled_from(URLS), st.fixed_dictionaries({"url": st.sampled_from(URLS)}, optional={"width": scalars, "title": values})), max_size=4)),
        "related": st.one_of(values, st.lists(st.dictionaries(st.sampled_from(SEED_KEYS), values, max_size=6), max_size=4)),
        "secured": values,
    },
).flatmap(lambda mapping: st.dictionaries(keys, values, max_size=4).map(lambda extra: {**extra, **mapping}))
dump_styles = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        "allow_unicode": st.booleans(),
        "width": st.sampled_from([20, 80, 4096]),
        "sort_keys": st.booleans(),
        "canonical": st.sampled_from([False, False, False, True]),
        "indent": st.sampled_from([2, 4, 9]),
    }
)


@st.composite
def shared(draw, mapping):
    """Put one container of the document under a second key too: it dumps as &id001/*id001."""
    containers = [value for value in mapping.values() if isinstance(value, (dict, list)) and value]
    if containers and draw(st.booleans()):
        mapping = dict(mapping)
        mapping[draw(st.sampled_from(["again", "alias", "secured"]))] = draw(st.sampled_from(containers))
    return mapping


@st.composite
def mutations(draw, text_):
    """Edits an attacker would make to a YAML text, at positions the strategy picks."""
    lines = text_.split("\n")
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
        line = lines[at] if lines else ""
        kind = draw(st.sampled_from(["bom", "tag", "alias", "anchor", "tab", "nest", "indicator", "duplicate", "cut", "crlf"]))
        if kind == "bom":
            line = "\ufeff" + line
        elif kind == "tag" and ": " in line:
            key, _, value = line.partition(": ")
            line = f"{key}: {draw(st.sampled_from(TAGS))} {value}"
        elif kind == "alias":
            line = line.replace(": ", f": {draw(st.sampled_from(['*a', '*id001', chr(0xFEFF) + '*a']))} #", 1)
        elif kind == "anchor" and ": " in line:
            line = line.replace(": ", ": &a ", 1)
        elif kind == "tab":
            line = "\t" + line
        elif kind == "nest":
            depth = draw(st.sampled_from([3, 19, 20, 21, 200, 30_000]))
            line = f"n: {'[' * depth}{']' * draw(st.sampled_from([0, depth]))}" if draw(st.booleans()) else "n:\n" + "- " * depth + "x"
        elif kind == "indicator":
            line = line + draw(st.sampled_from([" :", " - x", " ? y", " &", " *", " !", " |", " >", " %", " @", " ]", " }"]))
        elif kind == "duplicate":
            lines.insert(at, line)
        elif kind == "cut":
            line = line[: draw(st.integers(min_value=0, max_value=len(line)))]
        elif kind == "crlf":
            line = line + "\r"
        if lines:
            lines[at] = line
    return "\n".join(lines)


@st.composite
def yaml_seed_files(draw):
    """A seed file's bytes: a generated front matter, dumped, mutated, with a body."""
    mapping = draw(seed_mappings.flatmap(shared))
    try:
        front_matter = yaml.safe_dump(mapping, **draw(dump_styles))
    except (yaml.YAMLError, ValueError, OverflowError):
        front_matter = yaml.safe_dump({"title": "t", "webUrl": "https://x.example/"})
    front_matter = draw(mutations(front_matter))
    body = draw(st.sampled_from(["", "Body.\n", "---\n", "A story.\n\nIn two paragraphs.\n"]))
    closing = draw(st.sampled_from(["---", "...", "---  ", ""]))
    prefix = draw(st.sampled_from(["", "", "\ufeff"]))
    text_ = f"{prefix}---\n{front_matter}{closing}\n{body}"
    return text_.encode("utf-8", "surrogatepass")


@st.composite
def mutated_real_seeds(draw):
    """The real seed file with bytes flipped, inserted or cut."""
    data = bytearray(REAL_SEED.read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        operation = draw(st.sampled_from(["flip", "insert", "cut"]))
        if operation == "flip" and at < len(data):
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(min_value=1, max_value=200))]
    return bytes(data)


seed_file_bytes = st.one_of(yaml_seed_files(), yaml_seed_files(), mutated_real_seeds(), st.binary(max_size=300))
