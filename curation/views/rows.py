"""The queue's rows: what each shows, as plain values, and their HTML.

`QueueRows` turns articles into `QueueRow`s (and the queue by story's `StoryRow`s); `render_rows`
renders a page of them with the Jinja2 row templates (templates/jinja2/curation/), the one
place per-row rendering cost matters (newsroom/jinja2.py). Every value is escaped by those
templates, or as they escape it (`ReasonMenu`); nothing here writes HTML."""

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote

from django.template import engines
from django.template.backends.utils import csrf_input
from django.utils import timezone
from django.utils.safestring import mark_safe
from markupsafe import Markup, escape

from curation import selectors_reasons
from curation.models import HEAT_BANDS, HEAT_UNKNOWN, QUALITY_BANDS, ArticleState
from curation.services import editorial
from curation.services.editorial import Action
from curation.validation import safe_url
from curation.views.common import ActionUrls, UrlTemplate
from newsroom.jinja2 import FORMATS as DATE_FORMATS


@dataclass(frozen=True)
class Score:
    """A score as a row shows it: the number, its band (the admin's bands) and how full
    the bar is (the band's place, 1 to 5); `value` None when unknown."""

    value: int | None
    band: str
    level: int
    title: str


def score(value, bands, name):
    if value is None or (bands is HEAT_BANDS and value == HEAT_UNKNOWN):
        return Score(None, "", 0, f"{name}: unknown")
    for level, band in enumerate(bands, start=1):
        if band.contains(value):
            return Score(value, band.key, level, f"{name}: {band.label}")
    return Score(value, "", 0, f"{name}: {value}")


@dataclass(frozen=True)
class ActionNote:
    """A line beside an item's buttons saying why it offers fewer than usual."""

    text: str
    url: str = ""
    link_text: str = ""


def action_notes(article, publish_blocked):
    """The notes beside an item's buttons, on its queue row and on its page alike."""
    notes = []
    if publish_blocked and article.state in (ArticleState.NEW, ArticleState.REJECTED):
        notes.append(ActionNote("Needs metadata to publish"))
    if article.state == ArticleState.MERGED:
        if article.merged_into_id:
            target = UrlTemplate("curation:article-detail")(article.merged_into_id)
            notes.append(ActionNote("Merged into", target, f"#{article.merged_into_id}"))
        else:
            notes.append(ActionNote("Merged"))
    return notes


@dataclass
class QueueRow:
    """What one item's row shows."""

    article: object
    detail_url: str
    edit_url: str
    thumbnail: str
    topics: list
    quality: Score
    heat: Score
    published: str
    state_key: str
    state_label: str
    offers: list  # [(transition, url)] from the editorial service
    notes: list  # [ActionNote]
    tags: list = field(default_factory=list)  # [(text, css class, title)]


@dataclass
class StoryRow:
    """A row standing for a story: the summary (lead, sources, outlets, best scores,
    activity), the item row of the story's first article in the queue, the acts it offers."""

    item: QueueRow
    summary: object  # selectors_stories.StorySummary
    offers: list  # services.story_acts offers
    publish_url: str
    lead_url: str
    lead_edit_url: str
    quality: Score
    heat: Score
    members: list = field(default_factory=list)  # [(StoryMember, detail url, its date as shown)]
    more_members: int = 0
    newest_day: str = ""  # the newest publication, as the date column shows it
    newest_time: str = ""
    newest_imported: str = ""


class QueueRows:
    """Builds the rows of a page (or the one row an in-place action answers with)."""

    def __init__(self, user, *, query="", this_url=""):
        self.allowed = editorial.allowed_actions(user)
        self.can_edit = editorial.can_perform(user, Action.EDIT)
        self.query = query
        self.edit_next = quote(this_url, safe="")
        self.detail = UrlTemplate("curation:article-detail")
        self.edit = UrlTemplate("curation:article-edit")
        self.publish_story = UrlTemplate("curation:story-publish")
        self.actions = ActionUrls()
        self.zone = timezone.get_current_timezone()  # once: each look-up reads a context-local

    def row(self, article, *, buttons=True):
        """The item's row; without `buttons`, what a story row shows of its first item (its
        link, image, topics and tags), not the item's own buttons and notes."""
        detail = self.detail(article.pk)
        # topic_names / image_urls come from selectors.prefetch_listing (queue pages); a
        # single article (the in-place answer) reads its relations.
        image_urls = getattr(article, "image_urls", None)
        if image_urls is None:
            image_urls = [image.url for image in article.images.all()]
        topic_names = getattr(article, "topic_names", None)
        if topic_names is None:
            topic_names = [topic.name for topic in article.topics.all()]
        state_key, state_label = article.status()  # "Scheduled" / "Expired" for published items
        blocked = editorial.needs_completing(article)
        tags = []
        if blocked:
            tags.append(("needs metadata", "warn", "It lacks what publishing needs"))
        if state_key == "scheduled":
            goes_live = article.goes_live_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")
            tags.append((f"goes live {goes_live}", "", ""))
        if article.is_under_embargo():
            tags.append(("embargo", "warn", ""))
        if article.source_changed_at:
            tags.append(("source changed", "warn", "The source changed after an editorial decision"))
        return QueueRow(
            article=article,
            detail_url=f"{detail}?{self.query}" if self.query else detail,
            edit_url=f"{self.edit(article.pk)}?next={self.edit_next}" if self.can_edit else "",
            thumbnail=next((url for url in map(safe_url, image_urls) if url), ""),
            topics=topic_names,
            quality=score(article.quality, QUALITY_BANDS, "Quality"),
            heat=score(article.heat, HEAT_BANDS, "Heat"),
            published=article.published_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if article.published_at else "",
            state_key=state_key,
            state_label=state_label,
            offers=self.actions.offers(article, self.allowed) if buttons else [],
            notes=action_notes(article, blocked) if buttons else [],
            tags=tags,
        )

    def story_row(self, article, offers_for):
        """The row of a story (a StoryRow) at its first article in the queue, or the item's
        own row when it stands alone; `offers_for(summary, allowed)` lists the story's acts."""
        summary = getattr(article, "story_summary", None)
        if summary is None or summary.size < 2:
            return self.row(article)
        item = self.row(article, buttons=False)
        return StoryRow(
            item=item,
            summary=summary,
            offers=offers_for(summary, self.allowed),
            publish_url=self.publish_story(summary.id),
            lead_url=self.detail(summary.lead_id) if summary.lead_id else item.detail_url,
            # The row shows the lead: its checkbox and `e` act on the lead, not on whichever
            # member happens to come first in the queue's order.
            lead_edit_url=f"{self.edit(summary.lead_id)}?next={self.edit_next}"
            if self.can_edit and summary.lead_id
            else item.edit_url,
            quality=score(summary.best_quality, QUALITY_BANDS, "Best quality in the story"),
            heat=score(summary.best_heat, HEAT_BANDS, "Best heat in the story"),
            members=[
                (member, self.detail(member.pk), self.shown(member.published_at, "Y-m-d H:i"))
                for member in summary.members
            ],
            more_members=max(0, summary.size - len(summary.members)),
            newest_day=self.shown(summary.newest_published, "Y-m-d"),
            newest_time=self.shown(summary.newest_published, "H:i"),
            newest_imported=self.shown(summary.newest_imported, "Y-m-d H:i"),
        )

    def shown(self, moment, format_string):
        """A time as the row templates' |date shows it, in the zone read once for the page
        (a story row shows up to eleven: each |date looks the zone up again)."""
        return DATE_FORMATS[format_string](moment.astimezone(self.zone)) if moment else ""


class ReasonMenu:
    """The items of a row's reject menu: the offered reasons (`selectors_reasons.reason_menu`,
    the same on every row of a page) with the row's reject URL, version and item page.

    The template (`reason_items`) is drawn once with a marker in place of each of the row's
    values, and each row gets that text with its own values, escaped, put in the markers'
    places. That is the text drawing it for the row gives: the template only writes those
    values out, alone or joined to constant text, and escaping works character by character,
    so the escaped join is the join of the escaped parts. Drawing the menu for every row
    cost more than the rest of an item row. Reasons whose text holds a marker's NUL (no
    reason an admin can type) are drawn for each row instead."""

    MARKS = {"action_url": "\x00a\x00", "version": "\x00v\x00", "note_url": "\x00n\x00"}
    SPLIT = re.compile("\x00([avn])\x00")

    def __init__(self, reasons):
        self.reasons = reasons
        self.draw = engines["rows"].env.get_template("curation/_row_macros.html").module.reason_items

    @cached_property
    def stencil(self):
        """[text, mark, text, mark, ..., text], or None when the reasons' text holds a NUL."""
        if any("\x00" in str(part) for reason in self.reasons for part in reason):
            return None
        return self.SPLIT.split(str(self.draw(*self.MARKS.values(), self.reasons)))

    def for_row(self, action_url, version, detail_url):
        note_url = f"{detail_url}{'&' if '?' in detail_url else '?'}reject_with="
        stencil = self.stencil
        if stencil is None:
            return self.draw(action_url, version, note_url, self.reasons)
        values = {"a": escape(action_url), "v": escape(version), "n": escape(note_url)}
        filled = stencil.copy()
        filled[1::2] = [values[mark] for mark in stencil[1::2]]
        return Markup("".join(filled))


@dataclass
class QueueTable:
    """What the row templates need besides the rows: the same for every row of a page."""

    rows: list
    can_bulk: bool
    thumbnails: bool
    reason_menu: ReasonMenu
    request: object
    this_url: str
    ticked: frozenset = frozenset()  # rows to show ticked: those of a refused bulk decision

    @cached_property
    def csrf_input(self):
        # Once a page, as a Django template's {% csrf_token %}s share one token: each new
        # masking draws random bytes, and a page has a story form per story row.
        return csrf_input(self.request)


def render_rows(request, rows, *, can_bulk, thumbnails, this_url, ticked=frozenset()):
    """The <tr>s of a queue page (escaped template output, safe to place in the page)."""
    table = QueueTable(
        rows=rows,
        can_bulk=can_bulk,
        thumbnails=thumbnails,
        reason_menu=ReasonMenu(selectors_reasons.reason_menu()),
        request=request,
        this_url=this_url,
        ticked=ticked,
    )
    return mark_safe(engines["rows"].get_template("curation/queue_rows.html").render({"table": table}))


def render_row_actions(article, offers, notes, detail_url):
    """One row's buttons, as an in-place action answers them."""
    context = {"article": article, "offers": offers, "notes": notes, "reason_menu": ReasonMenu(selectors_reasons.reason_menu()),
               "detail_url": detail_url}
    return mark_safe(engines["rows"].get_template("curation/row_actions.html").render(context))
