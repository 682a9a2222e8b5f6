"""Hypothesis strategies for what an attacker types into a URL or a form: any text, numbers
of any size (beyond 64 bits, negative), digits from other scripts ("²", "٣", "１２"),
empty values, and the same key repeated."""

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Examples per property: a few dozen keeps the suite fast; WEB_FUZZ_EXAMPLES=2000 for a soak.
EXAMPLES = int(os.environ.get("WEB_FUZZ_EXAMPLES", "40"))

# The data the requests read is made once per test by ordinary fixtures and only read
# (or, for POSTs, checked afresh) by every example, so sharing it across examples is the
# point, not an accident.
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("WEB_FUZZ_RANDOM") != "1",
)

BIG = 2**63

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=BIG - 2, max_value=BIG + 2),
    st.integers(min_value=-BIG - 2, max_value=-BIG + 2),
    st.integers(min_value=10**18, max_value=10**40),
).map(str)

unicode_digits = st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6)

special = st.sampled_from(
    [
        "",
        " ",
        "²",
        "٣",
        "１２",
        "0",
        "-0",
        "1e9",
        "NaN",
        "inf",
        "1.5",
        "0x10",
        "9" * 30,
        "-" + "9" * 30,
        "2024-02-30",
        "9999-12-31",
        "0000-01-01",
        "2024-01-01T25:00:00Z",
        "99999-01-01",
        "~",
        "~1",
        "~²",
        "x~1",
        "2024-01-01T00:00:00+00:00~1",
        "2024-01-01T00:00:00 00:00~" + "9" * 25,
        "50~" + "9" * 20,
        "-" + "9" * 25 + "~1",
        "%00",
        "a\x00b",
        "\x00",
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        '"',
        "\\",
        "*",
        "(",
        "[",
        "a" * 3000,
        "#1",
        "#" + "9" * 30,
    ]
)

# For the sweeps (every parameter with each of these, alone): the values most likely to get
# past a form and reach Python or the database.
SWEEP_VALUES = [
    "",
    "²",
    "٣",
    "9" * 30,
    "-" + "9" * 30,
    str(BIG),
    "9999-12-31",
    "0001-01-01",
    "~²",
    "50~" + "9" * 20,
    "-" + "9" * 25 + "~1",
    "2024-01-01T00:00:00 00:00~" + "9" * 25,
    "#" + "9" * 30,
    "1e9",
    "(",
    "a" * 3000,
]

values = st.one_of(special, numbers, unicode_digits, st.text(max_size=40))


def query_pairs(names):
    """A query string as (name, value) pairs. Half the time one known parameter alone (so that
    a bad value is not hidden behind another parameter the form refuses first); else several,
    known names repeated and now and then an unknown one."""
    known = st.sampled_from(sorted(names))
    alone = st.tuples(known, values).map(lambda pair: [pair])
    several = st.lists(st.tuples(st.one_of(known, known, known, st.text(min_size=1, max_size=10)), values), max_size=8)
    return st.one_of(alone, several)


def form_data(fields):
    """POST data for a form with these fields: each present or missing, some repeated."""
    known = st.sampled_from(sorted(fields))
    return st.lists(st.tuples(st.one_of(known, known, known, st.text(min_size=1, max_size=8)), values), max_size=10)


ids = st.one_of(numbers, unicode_digits, special)
