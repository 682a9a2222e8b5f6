"""When the source changes an item editors already worked on.

The importer keeps what editors edited (`Article.edited_fields`) and flags the item
(`source_changed_at`); the source's latest front matter is kept in `front_matter_raw`. This
module reads the source's value of each edited field back from it, so the article page can
show it beside the editor's, and offers two writes:

- `take_source_value`: the field gets the source's value and stops being "edited" (the
  next import refreshes it again);
- `mark_source_change_reviewed`: the editor has looked; the flag goes (the item leaves the
  "source changed" filter).

Both check the permission and the version and write an audit row, like every editorial write.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from curation.models import Article
from curation.seedformat import SeedError, SeedLimits, parse_seed
from curation.services import editorial, taxonomy
from curation.services.editorial import EDIT_PERMISSION, Action, EditorialError, InvalidTransition
from curation.services.taxonomy import TaxonomyError
from curation.services.transactions import retry_transient

# The edited fields whose source value the stored front matter holds (the body is not
# kept once an editor replaced it), with the label the page shows.
COMPARABLE_FIELDS = {
    "title": "Title",
    "excerpt": "Excerpt",
    "category": "Category",
    "web_url": "Source URL",
    "published_at": "Publication date",
    "provider": "Provider",
    "topics": "Topics",
}


@dataclass(frozen=True)
class FieldDifference:
    """One edited field whose kept value is not the source's."""

    name: str
    label: str
    kept: object  # the value readers see now (str, datetime, (name, domain), list of names)
    source: object  # the source's value

    @property
    def kept_shown(self):
        return _shown(self.name, self.kept)

    @property
    def source_shown(self):
        return _shown(self.name, self.source)


def _shown(name, value):
    """The value as the page shows it ("" for none)."""
    if value is None:
        return ""
    if name == "published_at":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")
    if name == "provider":
        return f"{value[0]} ({value[1]})" if value[1] else value[0]
    if name == "topics":
        return ", ".join(value)
    return value


def source_values(article):
    """{field: value} as the source's latest front matter says, for COMPARABLE_FIELDS; {}
    when the item has no front matter or it no longer parses (nothing to offer then)."""
    if not article.front_matter_raw:
        return {}
    try:
        parsed = parse_seed(f"---\n{article.front_matter_raw.rstrip(chr(10))}\n---\n".encode(), SeedLimits.configured(settings))
    except (SeedError, RecursionError, MemoryError):
        return {}
    provider = parsed.provider
    return {
        "title": parsed.title,
        "excerpt": parsed.excerpt,
        "category": parsed.category,
        "web_url": parsed.web_url,
        "published_at": parsed.published_at,
        "provider": (provider.name, provider.domain.lower()) if provider else None,
        "topics": sorted(parsed.topics),
    }


def _kept_values(article):
    provider = article.provider if article.provider_id else None
    return {
        "title": article.title,
        "excerpt": article.excerpt,
        "category": article.category,
        "web_url": article.web_url,
        "published_at": article.published_at,
        "provider": (provider.name, provider.domain) if provider else None,
        "topics": sorted(topic.name for topic in article.topics.all()),
    }


def source_differences(article):
    """[FieldDifference] for each edited field where the source now says something else."""
    edited = [name for name in COMPARABLE_FIELDS if name in (article.edited_fields or ())]
    if not edited:
        return []
    source = source_values(article)
    if not source:
        return []
    kept = _kept_values(article)
    return [
        FieldDifference(name, COMPARABLE_FIELDS[name], kept[name], source[name])
        for name in edited
        if kept[name] != source[name]
    ]


def _audit_value(name, value):
    if name == "published_at" and value is not None:
        return value.isoformat()
    return _shown(name, value) if name == "provider" else ("" if value is None else value)


@retry_transient
def take_source_value(*, article, field, user, expected_version=None, via="curator"):
    """Give `field` the source's value and hand it back to the importer (it is no longer
    edited). Refused when the field is not one the editor kept or the source says nothing
    different."""
    editorial._require(user, EDIT_PERMISSION)
    if field not in COMPARABLE_FIELDS:
        raise EditorialError("That field cannot be taken from the source.")
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = editorial._lock(article_id, expected_version)
        difference = next((item for item in source_differences(article) if item.name == field), None)
        if difference is None:
            raise InvalidTransition(
                f"The {COMPARABLE_FIELDS[field].lower()} of “{editorial._short(article.title)}” already is the source's."
            )
        changes = {"edited_fields": sorted(set(article.edited_fields) - {field})}
        try:
            if field == "provider":
                changes["provider"] = taxonomy.ensure_provider(*difference.source) if difference.source else None
            elif field == "topics":
                article.topics.set(list(taxonomy.ensure_topics(difference.source).values()))
            else:
                changes[field] = difference.source
        except TaxonomyError as exc:
            raise EditorialError(str(exc)) from None
        return editorial._save(
            article,
            changes=changes,
            user=user,
            action=Action.TAKE_SOURCE,
            via=via,
            before={field: _audit_value(field, difference.kept)},
            after={field: _audit_value(field, difference.source)},
        )


@retry_transient
def mark_source_change_reviewed(*, article, user, expected_version=None, via="curator"):
    """The editor has seen what the source changed: the item leaves the "source changed" list."""
    editorial._require(user, EDIT_PERMISSION)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = editorial._lock(article_id, expected_version)
        if article.source_changed_at is None:
            raise InvalidTransition(f"“{editorial._short(article.title)}” has no source change to review.")
        return editorial._save(
            article,
            changes={"source_changed_at": None},
            user=user,
            action=Action.SOURCE_REVIEWED,
            via=via,
            before={"source_changed_at": article.source_changed_at.isoformat()},
            after={"source_changed_at": None, "reviewed_at": timezone.now().isoformat()},
        )
