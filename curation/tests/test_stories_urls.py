"""Canonical URLs: the spellings one article goes by in feeds, shares and AMP caches agree,
and nothing that identifies the article is thrown away."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.stories.urls import canonical_url, url_aliases

ENGADGET = "https://engadget.com/2020/02/06/facebook-venmo-cease-and-desist-clearview-ai"
TRIBUNE = (
    "https://chicagotribune.com/business/"
    "ct-biz-clearview-face-recognition-20200206-mlk7347uvfe7ldqgfr3qrxq2lm-story.html"
)


@pytest.mark.parametrize(
    "url, expected",
    [
        # the real seed's own URL ends in ?partner=rss
        (
            "https://www.fastcompany.com/90461077/facebook-joins-fellow-tech-companies?partner=rss",
            "https://fastcompany.com/90461077/facebook-joins-fellow-tech-companies",
        ),
        ("HTTP://WWW.Example.COM:80/Story/#comments", "https://example.com/Story"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com/a/./b/../c/", "https://example.com/a/c"),
        ("https://m.example.com/a", "https://example.com/a"),
        # tracking parameters go, the rest is sorted
        ("https://example.com/a?utm_source=x&utm_MEDIUM=y&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?fbclid=1&gclid=2&CMP=3&smid=4&ito=5&ref=6&mc_cid=7", "https://example.com/a"),
        # parameters that identify the article stay
        ("https://example.com/?p=456&utm_campaign=z", "https://example.com/?p=456"),
        ("https://example.com/item?id=123", "https://example.com/item?id=123"),
        (
            "https://facebook.com/permalink.php?story_fbid=10&id=20&ref=share",
            "https://facebook.com/permalink.php?id=20&story_fbid=10",
        ),
        # AMP forms
        ("https://www.engadget.com/amp/2020/02/06/facebook-venmo-cease-and-desist-clearview-ai/", ENGADGET),
        (
            "https://www-engadget-com.cdn.ampproject.org/c/s/www.engadget.com/amp/2020/02/06/"
            "facebook-venmo-cease-and-desist-clearview-ai/",
            ENGADGET,
        ),
        (
            "https://www-engadget-com.cdn.ampproject.org/v/s/www.engadget.com/amp/2020/02/06/"
            "facebook-venmo-cease-and-desist-clearview-ai/?amp_js_v=0.1&usqp=mq331AQ",
            ENGADGET,
        ),
        (TRIBUNE.replace("https://", "https://www.") + "?outputType=amp", TRIBUNE),
        ("https://www.theverge.com/platform/amp/interface/2020/2/7/21126498/x", "https://theverge.com/interface/2020/2/7/21126498/x"),
        ("https://amp.theguardian.com/world/2024/may/01/story", "https://theguardian.com/world/2024/may/01/story"),
        ("https://example.com/news/story.amp?amp=1", "https://example.com/news/story"),
        ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
        ("https://www.google.com/amp/s/www.bbc.co.uk/news/world-123.amp", "https://bbc.co.uk/news/world-123"),
        # not an http(s) URL with a host
        ("javascript:alert(1)", ""),
        ("/relative/path", ""),
        ("https://", ""),
        ("http://[::1", ""),
        ("https://exa mple.com/", ""),
        ("", ""),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_urls_differing_only_in_percent_encoding_agree():
    forms = [
        "https://example.com/caf%c3%a9/%7Euser?q=a%2fb",
        "https://example.com/café/~user?q=a%2Fb",
        "https://example.com/caf%C3%A9/%7euser?q=a%2Fb",
    ]
    assert len({canonical_url(form) for form in forms}) == 1
    assert canonical_url(forms[0]) == "https://example.com/caf%C3%A9/~user?q=a%2Fb"


def test_a_seeds_three_addresses_are_one_article():
    primary, forms = url_aliases(
        "https://www.engadget.com/2020/02/06/facebook-venmo-cease-and-desist-clearview-ai/",
        "https://www.engadget.com/amp/2020/02/06/facebook-venmo-cease-and-desist-clearview-ai/",
        "https://www-engadget-com.cdn.ampproject.org/c/s/www.engadget.com/amp/2020/02/06/"
        "facebook-venmo-cease-and-desist-clearview-ai/",
    )
    assert primary == ENGADGET and forms == {ENGADGET}


def test_aliases_keep_an_amp_address_that_follows_no_rule():
    primary, forms = url_aliases("https://news.example/a/1", "https://news.example/mobile-view/1")
    assert primary == "https://news.example/a/1"
    assert forms == {"https://news.example/a/1", "https://news.example/mobile-view/1"}


def test_non_text_is_no_url():
    assert canonical_url(None) == ""
    assert canonical_url(b"https://example.com/") == ""


url_like = st.builds(
    lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{query}{fragment}",
    st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
    st.text(max_size=30),
    st.text(max_size=60),
    st.text(max_size=40).map(lambda q: "?" + q),
    st.text(max_size=10).map(lambda f: "#" + f),
)


# The characters the rules act on, so generated URLs hit escapes, dot segments, AMP forms.
tricky = st.text(alphabet="aA0%2fF7eE/.:?&=#@[]~+ é\x00ampwc-_s", max_size=40)
tricky_url = st.builds(
    lambda scheme, host, rest: f"{scheme}://{host}/{rest}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["example.com", "www.amp.example.com", "x-y.cdn.ampproject.org", "google.com", "[::1]"]),
    tricky,
)


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(max_size=200), url_like, tricky_url))
def test_canonical_url_never_raises_and_is_idempotent(text):
    once = canonical_url(text)
    assert isinstance(once, str)
    assert canonical_url(once) == once
    if once:
        assert once.startswith("https://")


# URLs near the shape the quick read takes (urls._plain_parts), and just outside it: every
# character it accepts or must refuse, in hosts, paths, queries and fragments.
HOST_LABELS = ["www", "m", "amp", "Example", "news-site", "co", "uk", "cdn", "ampproject", "org", "google", "com"]
near_plain = st.builds(
    lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{query}{fragment}",
    st.sampled_from(["http", "https", "HTTP", "hTtPs"]),
    st.lists(st.sampled_from([*HOST_LABELS, "x_y", "1", "", "é", "\u212a"]), min_size=1, max_size=5).map(".".join)
    | st.sampled_from(["a.com:8080", "u@a.com", "a.com.", "[::1]"]),
    st.text(alphabet="/aZ09-._~!$&'()*+,;=:@%é\u212a ?#\tamp", max_size=30).map(lambda p: p and "/" + p),
    st.text(alphabet="aZ09-._~!$'()*,;:@/?+=&%é#\n utm_partner", max_size=30).map(lambda q: q and "?" + q),
    st.text(alphabet="a#/ \t?", max_size=6).map(lambda f: f and "#" + f),
)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(near_plain, tricky_url))
def test_the_quick_read_of_a_plain_url_gives_the_same_canonical_url(text):
    """The common spelling is read without urlsplit; the result must be the one urlsplit's
    reading gives, or "" alike."""
    from unittest import mock

    from curation.stories import urls

    quick = canonical_url(text)
    with mock.patch.object(urls, "_plain_parts", lambda url: None):
        assert quick == canonical_url(text)
