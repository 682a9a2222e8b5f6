"""Topics and providers by name, created when missing, safely while others do the same.

Two editors (or an editor and an import) adding the same new topic, or two topics whose
names slug alike ("Zap0?" and "Zap0!" are both "zap0"), must both succeed. So nothing is
checked first and then inserted: rows are inserted with INSERT ... ON CONFLICT DO NOTHING
(`bulk_create(ignore_conflicts=True)`; INSERT OR IGNORE on SQLite) and then read back by
name. A name whose row is still missing lost its slug to another name (now, or long ago):
it is inserted again with the disambiguated slug (`Topic.slug_for(..., disambiguate=True)`,
unique per name). On PostgreSQL an insert that meets another transaction's uncommitted row
waits for it, then skips or goes ahead; the read that follows sees the committed row.

Call inside the caller's transaction: a write that fails afterwards takes its new topics
with it.
"""

from curation.models import Provider, Topic
from curation.validation import visible_name

TOPIC_NAME_MAX = Topic._meta.get_field("name").max_length
PROVIDER_NAME_MAX = Provider._meta.get_field("name").max_length
PROVIDER_DOMAIN_MAX = Provider._meta.get_field("domain").max_length


class TaxonomyError(ValueError):
    """A name that cannot be stored (too long, empty)."""


def _clean_names(names):
    """The names as stored (curation.validation.visible_name), once each; a name that shows
    nothing (zero-width spaces, a byte order mark) is no name and is skipped like a blank."""
    cleaned = list(dict.fromkeys(name for name in map(visible_name, filter(None, names)) if name))
    for name in cleaned:
        if len(name) > TOPIC_NAME_MAX:
            raise TaxonomyError(f"“{name[:30]}…” is longer than {TOPIC_NAME_MAX} characters.")
    return cleaned


def _topics_named(names):
    return {topic.name: topic for topic in Topic.objects.filter(name__in=names).order_by()}


def ensure_topics(names):
    """{name: Topic} for every name that shows something (see _clean_names; the keys are the
    cleaned names), creating the missing ones."""
    names = _clean_names(names)
    found = _topics_named(names)
    missing = [name for name in names if name not in found]
    for disambiguate in (False, True):
        if not missing:
            break
        # One order for everyone (by slug, the key two names can share), so that two
        # transactions inserting overlapping batches wait on each other in the same order.
        rows = sorted(
            (Topic(name=name, slug=Topic.slug_for(name, disambiguate=disambiguate)) for name in missing),
            key=lambda topic: (topic.slug, topic.name),
        )
        Topic.objects.bulk_create(rows, ignore_conflicts=True)
        found.update(_topics_named(missing))
        missing = [name for name in missing if name not in found]
    if missing:  # both slugs taken by other names: a hash collision, or a broken table
        raise TaxonomyError(f"No free URL slug for the topic “{missing[0]}”.")
    return {name: found[name] for name in names}


def ensure_providers(pairs):
    """{(name, domain): Provider} for (name, domain) pairs (stripped, domain lower-cased),
    creating the missing ones. Names that show nothing are skipped (see _clean_names)."""
    wanted = []
    for name, domain in pairs:
        name, domain = visible_name(name or ""), visible_name(domain or "").lower()
        if not name:
            continue
        if len(name) > PROVIDER_NAME_MAX or len(domain) > PROVIDER_DOMAIN_MAX:
            raise TaxonomyError(
                f"Provider names are at most {PROVIDER_NAME_MAX} characters, domains {PROVIDER_DOMAIN_MAX}."
            )
        wanted.append((name, domain))
    wanted = sorted(set(wanted))

    def existing():
        rows = Provider.objects.filter(name__in={name for name, _ in wanted}).order_by()
        return {(p.name, p.domain): p for p in rows if (p.name, p.domain) in wanted_set}

    wanted_set = set(wanted)
    found = existing()
    missing = [pair for pair in wanted if pair not in found]
    if missing:
        Provider.objects.bulk_create([Provider(name=n, domain=d) for n, d in missing], ignore_conflicts=True)
        found = existing()
    return found


def ensure_provider(name, domain=""):
    """The provider with this name and domain (created if missing), or None for a blank name."""
    found = ensure_providers([(name, domain)])
    return next(iter(found.values()), None)


def create_topics(names, *, user, via="curator"):
    """An editor's explicit "create topic" step: {name: Topic} for these names, the missing
    ones created. A topic is a public page (/topics/<slug>/), so this needs the permission
    to add topics and each new one is recorded in the admin's log (its history page)."""
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.core.exceptions import PermissionDenied

    if user is None or not user.is_active or not user.has_perm("curation.add_topic"):
        raise PermissionDenied("You do not have permission to create topics.")
    names = _clean_names(names)
    before = set(_topics_named(names))
    found = ensure_topics(names)
    created = [found[name] for name in names if name not in before]
    if created:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=created,
            action_flag=ADDITION,
            change_message=f"Created from the {via} (an editor's explicit step).",
        )
    return found


class UnconfirmedTopics(TaxonomyError):
    """Names that are not topics yet, which the editor did not ask to create."""

    def __init__(self, names):
        self.names = names
        super().__init__(f"No topic is named {', '.join(names)}.")


def topics_for_editor(names, *, user, create=()):
    """[Topic] for the names an editor gave. Missing ones are created only when named in
    `create` (the explicit step, see create_topics); others raise UnconfirmedTopics."""
    names = _clean_names(names)
    existing = set(_topics_named(names))
    missing = [name for name in names if name not in existing]
    confirmed = set(_clean_names(create or ()))
    if unconfirmed := [name for name in missing if name not in confirmed]:
        raise UnconfirmedTopics(unconfirmed)
    if missing:
        create_topics(missing, user=user)
    return list(ensure_topics(names).values())
