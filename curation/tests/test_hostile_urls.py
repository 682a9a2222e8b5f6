"""URLs that match the http(s) pattern but are not URLs: an unclosed IPv6 bracket, a port
beyond 65535, an `xn--` label that is not punycode, an empty or over-long host label. A seed's
webUrl fails the file naming the field; an ampWebUrl, an image or a related item's link is
dropped with a note in the ledger (as every other bad value of those fields is); an editor's
edit is refused. And whatever safe_url accepts, every reader of URLs can take apart.
(Such URLs already stored: test_hostile_stored_rows.py.)"""

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.public.feeds import image_type
from curation.seedformat import parse_seed
from curation.seedformat.values import SeedError
from curation.services import editorial
from curation.stories.urls import canonical_url
from curation.tests.factories import complete_body_only, make_user, seed_text, valid_front_matter
from curation.validation import authority_is_sound, safe_url

NOT_URLS = [
    "https://[::1/story",
    "https://[::1",
    "http://[not-an-address]/x.jpg",
    "https://[::1]x/",
    "https://news.example:99999999/story",
    "https://news.example:65536/",
    "https://news.example:-1/x.jpg",
    "https://news.example:http/story",
    "https://xn--zz.example/story",
    "https://news.xn--/story",
    "https://user@xn--a.example/",
    "https://a..b/story",
    "https://" + "a" * 64 + ".example/x.jpg",
    "https://" + "ü" * 70 + ".example/x.jpg",
]
STILL_URLS = [
    "https://[::1]/story",
    "https://[2001:db8::1]:8080/x",
    "https://news.example:8080/story",
    "https://news.example.:443/story",
    "https://xn--bcher-kva.example/story",
    "https://bücher.example/story",
    "https://user:pw@news.example/story",
    "https://" + "a" * 63 + ".example/x.jpg",
    "https://news.example/xn--zz/path",
]


@pytest.mark.parametrize("url", NOT_URLS)
def test_safe_url_refuses_what_is_not_a_url(url):
    assert safe_url(url) == ""


@pytest.mark.parametrize("url", STILL_URLS)
def test_safe_url_keeps_unusual_urls(url):
    assert safe_url(url) == url


def parse(**overrides):
    return parse_seed(seed_text(body="Body.", **valid_front_matter(**overrides)).encode())


@pytest.mark.parametrize("url", NOT_URLS)
def test_a_web_url_that_is_not_a_url_fails_the_file_naming_the_field(url):
    with pytest.raises(SeedError, match="is not an absolute http") as caught:
        parse(webUrl=url)
    assert caught.value.field == "webUrl"


@pytest.mark.parametrize("url", NOT_URLS)
def test_other_links_that_are_not_urls_are_dropped_with_a_note(url):
    parsed = parse(
        ampWebUrl=url,
        cdnAmpWebUrl=url,
        images=[{"url": url}, {"url": "https://img.example/1.jpg"}],
        related=[{"title": "R", "webUrl": url, "images": [url]}],
    )
    assert parsed.amp_url == parsed.cdn_amp_url == ""
    assert [image.url for image in parsed.images] == ["https://img.example/1.jpg"]
    assert parsed.related[0].web_url == "" and parsed.related[0].images_json == "[]"
    noted = " ".join(parsed.notes)
    for field in ("ampWebUrl", "cdnAmpWebUrl", "images[1]", "related[1].webUrl", "related[1].images[1]"):
        assert field in noted


@pytest.mark.django_db
@pytest.mark.parametrize("url", NOT_URLS[:6])
def test_an_editor_cannot_store_a_url_that_is_not_one(url):
    editor = make_user(role="editor")
    with pytest.raises(editorial.InvalidEdit) as caught:
        complete_body_only(editor, web_url=url)
    assert "web_url" in caught.value.errors


# Authorities built from what breaks readers: brackets, colons, digits, dots, `xn--`, non-ASCII.
pieces = st.sampled_from(["[", "]", ":", "::1", "9", "0", ".", "-", "xn--", "a", "ü", "@", "%", "_", "ß", "\u200b"])
authority = st.lists(pieces, max_size=12).map("".join)
url_like = st.builds(
    "{}{}{}".format,
    st.sampled_from(["http://", "https://", "HTTPS://"]),
    authority,
    st.sampled_from(["", "/", "/x.jpg", "?q", "#f"]),
)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(url_like, st.text(max_size=30).map("https://{}".format)))
def test_whatever_safe_url_accepts_every_reader_can_take_apart(value):
    url = safe_url(value)
    if not url:
        return
    parts = urlsplit(url)
    parts.port  # noqa: B018 - raises for a port that is not one
    host = parts.hostname
    assert host
    if ":" not in host:
        host.rstrip(".").encode("idna").decode("idna")
    image_type(url)
    canonical_url(url)


@pytest.mark.parametrize("url", NOT_URLS)
def test_no_canonical_url_for_what_is_not_a_url(url):
    # Read without its bad port, `news.example:99999999/story` was `news.example/story`,
    # another article's canonical URL.
    assert canonical_url(url) == ""


@settings(max_examples=2000, deadline=None)
@given(st.one_of(url_like, st.text(max_size=30).map("https://{}".format)))
def test_a_canonical_url_only_for_a_sound_host_and_port(value):
    if canonical_url(value):
        assert authority_is_sound(value.strip())


@settings(max_examples=300, deadline=None)
@given(url_like, url_like)
def test_a_generated_web_url_fails_naming_the_field_or_is_a_url(web_url, image_url):
    try:
        parsed = parse(webUrl=web_url, ampWebUrl=image_url, images=[image_url], related=[{"webUrl": image_url}])
    except SeedError as exc:
        assert exc.field == "webUrl"
        return
    for url in filter(
        None, [parsed.web_url, parsed.amp_url, *(i.url for i in parsed.images), parsed.related[0].web_url]
    ):
        urlsplit(url).port  # noqa: B018 - raises for a port that is not one
        image_type(url)
