"""Feeds of published items: RSS 2.0, Atom 1.0 (django.contrib.syndication) and JSON Feed 1.1,
each for the whole site and per topic. The newest FEED_SIZE items, in one query.

Every text goes through `xml_text`: XML 1.0 cannot carry most control characters and
Django's XML writer refuses them, so one stray byte in an imported title would otherwise
turn the whole feed into a server error. Descriptions are HTML built from escaped text.
Ids are the items' permalinks (/articles/<id>/), which do not change when a title is edited.
"""

import io
import mimetypes
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape, format_html, linebreaks
from django.views.decorators.http import require_safe

from curation.public.http import PublicLinks, json_response, public_cache
from curation.public.selectors import latest_articles

SITE_TITLE = settings.PUBLIC_SITE_TITLE

# Characters XML 1.0 does not allow (C0 controls except tab/newline/return, surrogates,
# U+FFFE/U+FFFF).
# The query parameters a feed reads (see public_cache's `reads`).
FEED_READS = ("all",)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value):
    return _XML_INVALID.sub("", str(value or ""))


def item_date(article):
    return article.published_at or article.state_changed_at or article.imported_at


def image_type(url):
    """The image's MIME type from its file extension; news CDNs mostly serve JPEG."""
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    return guessed if guessed and guessed.startswith("image/") else "image/jpeg"


def feed_items(request, topic):
    """The newest published items, one per story unless `?all=1`, with the absolute URLs
    the feeds need (the request knows the host). A topic with nothing published has no
    feed, as it has no page."""
    articles = latest_articles(topic=topic, every_item=request.GET.get("all") == "1")
    if topic is not None and not articles:
        raise Http404("No published items about this topic.")
    links = PublicLinks(request)
    for article in articles:
        article.absolute_url = links.article(article)
        article.permalink = links.permalink(article.pk)
    return articles


def feed_meta(request, topic, kind):
    if topic is None:
        title, home = SITE_TITLE, reverse("public:home")
        description = f"The latest stories published by {SITE_TITLE}."
        feed = reverse(f"public:feed-{kind}")
    else:
        title, home = f"{topic.name} · {SITE_TITLE}", reverse("public:topic", args=[topic.slug])
        description = f"The latest stories about {topic.name} published by {SITE_TITLE}."
        feed = reverse(f"public:feed-{kind}-topic", args=[topic.slug])
    return {
        "title": xml_text(title),
        "description": xml_text(description),
        "home_page_url": request.build_absolute_uri(home),
        "feed_url": request.build_absolute_uri(feed),
    }


def description_html(article):
    """HTML for a feed entry's summary: the lead image and the excerpt, escaped."""
    parts = []
    if article.public_image:
        parts.append(format_html('<p><img src="{}" alt=""></p>', article.public_image["url"]))
    if article.excerpt:
        parts.append(linebreaks(article.excerpt, autoescape=True))
    if article.public_web_url:
        source = article.provider.name if article.provider else "the source"
        parts.append(format_html('<p><a href="{}">Read it at {}</a></p>', article.public_web_url, source))
    return xml_text("\n".join(parts))


class BufferedWrite:
    """Render the XML into memory and hand the response one string: the feed writer makes
    some 2,000 small writes, each of which HttpResponse would encode and append separately."""

    def write(self, outfile, encoding):
        buffer = io.StringIO()
        super().write(buffer, encoding)
        outfile.write(buffer.getvalue())


class RssFeedType(BufferedWrite, Rss201rev2Feed):
    pass


class AtomFeedType(BufferedWrite, Atom1Feed):
    pass


class _Context:
    """What `get_object` hands to the feed's methods: the topic (or None) and the request."""

    def __init__(self, request, topic):
        self.request = request
        self.topic = topic


class LatestRssFeed(Feed):
    feed_type = RssFeedType
    kind = "rss"

    def get_object(self, request, topic_slug=None, topic=None):
        return _Context(request, topic)

    def title(self, obj):
        return feed_meta(obj.request, obj.topic, self.kind)["title"]

    def description(self, obj):
        return feed_meta(obj.request, obj.topic, self.kind)["description"]

    def subtitle(self, obj):
        return self.description(obj)

    def link(self, obj):
        return feed_meta(obj.request, obj.topic, self.kind)["home_page_url"]

    def feed_url(self, obj):
        return feed_meta(obj.request, obj.topic, self.kind)["feed_url"]

    def author_name(self, obj):
        return SITE_TITLE

    def items(self, obj):
        return feed_items(obj.request, obj.topic)

    def item_title(self, item):
        return xml_text(item.title)

    def item_description(self, item):
        return description_html(item)

    def item_link(self, item):
        return item.absolute_url

    def item_guid(self, item):
        return item.permalink

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return item_date(item)

    def item_updateddate(self, item):
        return max(filter(None, [item_date(item), item.state_changed_at]))

    def item_author_name(self, item):
        return xml_text(item.provider.name) if item.provider else None

    def item_categories(self, item):
        return [xml_text(topic["name"]) for topic in item.public_topics]

    def item_enclosures(self, item):
        # Only the lead image: RSS allows one enclosure per item. The size is not known
        # without fetching the image; the spec's validators accept 0 for "unknown".
        if not item.public_image:
            return []
        url = xml_text(item.public_image["url"])
        return [Enclosure(url, "0", image_type(url))]


class LatestAtomFeed(LatestRssFeed):
    feed_type = AtomFeedType
    kind = "atom"


@require_safe
@public_cache(store=True, reads=FEED_READS)
def json_feed(request, topic_slug=None, topic=None):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    meta = feed_meta(request, topic, "json")
    items = []
    for article in feed_items(request, topic):
        # Same text as the XML feeds: control characters removed, HTML only where escaped.
        item = {
            "id": article.permalink,
            "url": article.absolute_url,
            "title": xml_text(article.title),
            "content_html": description_html(article) or escape(xml_text(article.title)),
            "summary": xml_text(article.excerpt),
            "date_published": item_date(article).isoformat(),
            "tags": [xml_text(topic["name"]) for topic in article.public_topics],
        }
        if article.public_web_url:
            item["external_url"] = article.public_web_url
        if article.public_image:
            item["image"] = article.public_image["url"]
        if article.provider:
            item["authors"] = [{"name": xml_text(article.provider.name)}]
        items.append(item)
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta["title"],
        "home_page_url": meta["home_page_url"],
        "feed_url": meta["feed_url"],
        "description": meta["description"],
        "language": settings.LANGUAGE_CODE,
        "items": items,
    }
    return json_response(data, content_type="application/feed+json; charset=utf-8")


rss_feed = require_safe(public_cache(LatestRssFeed(), store=True, reads=FEED_READS))
atom_feed = require_safe(public_cache(LatestAtomFeed(), store=True, reads=FEED_READS))
