"""FastSafeLoader must give exactly what yaml.CSafeLoader gives: the same objects, or the
same error. Every seed file in fixtures/ plus a catalogue of YAML corners is compared."""

from pathlib import Path

import pytest
import yaml

from curation.fastyaml import FastSafeLoader
from curation.seedformat import decode_seed, split_front_matter

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"

CORNERS = {
    "ints": "a: 0\nb: 07\nc: 0x1F\nd: 1_000\ne: 1:30\nf: +5\ng: -3\nh: 0b101\ni: 189\nj: -1\nk: 00\nl: 0o7\nm: 010\nn: 0777\no: 08",
    "big int": "a: 123456789012345678901234567890",
    "floats": "a: 1.5\nb: 1e3\nc: .inf\nd: -.Inf\ne: 6.8523015e+5\nf: 685_230.15\ng: 190:20:30.15\nh: .NaN",
    "bools": "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: False\ng: y\nh: n",
    "nulls": "a: ~\nb: null\nc:\nd: Null\ne: ''",
    "timestamps": (
        "a: 2020-02-06T15:15:00Z\nb: 2020-02-06\nc: 2001-12-14t21:59:43.10-05:00\n"
        "d: 2001-12-14 21:59:43.10 -5\ne: 2001-12-15 2:59:43.10\nf: 2020-02-06T15:15:00.123456789Z\n"
        "g: 2020-2-6T15:15:00Z\nh: 2020-02-06T15:15:00+01:00\ni: '2020-02-06T15:15:00Z'"
    ),
    "timestamps with offsets": (
        "a: 2020-02-06 15:15:00+00:00\nb: 2020-02-06T15:15:00-05:30\nc: 2020-02-06 15:15:00+01:00\n"
        "d: 2020-02-06 15:15:00 +01:00\ne: 2020-02-06T15:15:00+1:00\nf: 2020-02-06t15:15:00+00:00\n"
        "g: 2020-02-06 15:15:00.5+00:00\nh: 2020-02-06  15:15:00Z\ni: 2020-02-06 15:15:00-00:00"
    ),
    "bad offset": "a: 2020-02-06 15:15:00+24:00",
    "bad month with offset": "a: 2020-13-06 15:15:00+02:00",
    "bad month": "a: 2020-13-06T15:15:00Z",
    "bad day": "a: 2020-02-30",
    "explicit tags": "a: !!str 5\nb: !!int '7'\nc: !!float '2'\nd: !!bool 'yes'\ne: !!null ''\nf: !!str",
    "binary": "a: !!binary aGVsbG8=",
    "bad binary": "a: !!binary '%%%'",
    "set": "a: !!set {x, y}",
    "omap": "a: !!omap [x: 1, y: 2]",
    "pairs": "a: !!pairs [x: 1, x: 2]",
    "unknown tag": "a: !foo bar",
    "python tag": "a: !!python/object/apply:os.system ['true']",
    "merge": "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3",
    "merge list": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3",
    "bad merge": "a:\n  <<: 5",
    "value key": "a:\n  =: 5\n  b: 6",
    "alias reuse": "a: &x [1, 2]\nb: *x\nc: &y {k: v}\nd: *y",
    "scalar anchor": "a: &s hello\nb: *s",
    "recursive list": "a: &r [1, *r]",
    "recursive map": "a: &m {self: *m}",
    "unhashable key": "? [a, b]\n: 1",
    "mapping key": "? {a: 1}\n: 1",
    "int and bool keys": "1: one\ntrue: yes\n~: nothing\n2020-02-06: date\n1.5: float",
    "duplicate keys": "a: 1\nb: 2\na: 3",
    "nested": "a: {b: [1, {c: [d, e, {f: g}]}]}\nh: [[[]]]\ni: {}",
    "block scalars": "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n",
    "quoted": "a: 'yes'\nb: \"12\"\nc: \"\\u00e9\\t\"\nd: '~'",
    "unicode": "títle: Ünïcödé ✓\ndigits: ١٢٣\nemoji: 🗞",
    "empty": "",
    "comment only": "# nothing here\n",
    "scalar document": "just text",
    "list document": "- a\n- b",
    "empty flow": "a: []\nb: {}",
    "syntax error": "a: [1, 2\nb: c",
    "tabs": "a:\n\t- b",
    "two documents": "a: 1\n---\nb: 2",
}


def load_both(text):
    outcomes = []
    for loader in (yaml.CSafeLoader, FastSafeLoader):
        try:
            outcomes.append(("ok", yaml.load(text, Loader=loader)))
        except Exception as exc:  # noqa: BLE001 - the comparison is the point
            outcomes.append(("error", type(exc), str(exc)))
    return outcomes


def assert_same(text):
    standard, fast = load_both(text)
    # repr: NaN is never equal to itself, and a type change (1 vs True vs 1.0) shows.
    assert repr(fast) == repr(standard)
    assert fast[0] == standard[0]


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_same_result_as_csafeloader(name):
    assert_same(CORNERS[name])


def seed_front_matters():
    for path in sorted(FIXTURES.rglob("*.txt")) + sorted(FIXTURES.rglob("*.md")):
        front_matter, _ = split_front_matter(decode_seed(path.read_bytes()))
        if front_matter is not None:
            yield pytest.param(front_matter, id=path.name)


@pytest.mark.parametrize("front_matter", list(seed_front_matters()))
def test_same_result_on_every_fixture_seed(front_matter):
    assert_same(front_matter)


def test_fixture_seeds_are_there():
    # The parametrized test above must not pass by having nothing to compare.
    assert len(list(seed_front_matters())) >= 20


def test_an_alias_gives_the_same_object_as_csafeloader():
    text = CORNERS["alias reuse"]
    standard = yaml.load(text, Loader=yaml.CSafeLoader)
    fast = yaml.load(text, Loader=FastSafeLoader)
    assert standard["a"] is standard["b"] and fast["a"] is fast["b"]
    assert fast["c"] is fast["d"]


def test_a_recursive_document_refers_to_itself():
    fast = yaml.load(CORNERS["recursive map"], Loader=FastSafeLoader)
    assert fast["a"]["self"] is fast["a"]


def test_the_quick_path_builds_the_usual_seed_itself():
    # Guards the speed-up, not the result: a plain seed must not fall back to SafeConstructor.
    front_matter = next(iter(seed_front_matters())).values[0]
    loader = FastSafeLoader(front_matter)
    try:
        loader.construct_mapping = None  # the fallback path would call it
        assert isinstance(loader.get_single_data(), dict)
    finally:
        loader.dispose()


def test_plain_scalars_resolve_alike_when_seen_again():
    # The resolve memo: a text first seen plain, then quoted, then plain again keeps the
    # tag each form gives (quoted texts are always strings).
    for text in ("a: 12\nb: '12'\nc: 12", "a: yes\nb: \"yes\"\nc: yes", "a: ~\nb: '~'\nc: ~"):
        assert_same(text)
        assert_same(text)


def test_the_resolve_memo_stays_bounded():
    from curation import fastyaml

    many = "\n".join(f"k{n}: v{n}" for n in range(fastyaml._RESOLVED_MAX_ENTRIES + 5_000))
    assert len(yaml.load(many, Loader=FastSafeLoader)) == fastyaml._RESOLVED_MAX_ENTRIES + 5_000
    assert len(fastyaml._resolved) <= fastyaml._RESOLVED_MAX_ENTRIES
