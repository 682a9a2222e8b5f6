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

A name an admin merged away ("AI" into "Artificial intelligence") is an alias
(TopicAlias, ProviderAlias, recorded by services/taxonomy_merge.py): every path that finds
topics or providers by name resolves it here to the kept one, so a merged name never comes
back as a new row, whether from the import (its batched look-ups call `aliased_topic_ids`
and `aliased_provider_ids`), an editor's picker or a rule. A filter's value (the queue's, the
admin's lists', the API's) that names a merged row by its old id, slug or name is followed the
same way (`find_topic`, `find_providers`), and says so (`Named.notice`).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from curation.models import Provider, ProviderAlias, Topic, TopicAlias
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


def aliased_topic_ids(names):
    """{name: id of the kept topic} for the names that are aliases of merged topics: one query."""
    if not names:
        return {}
    return dict(TopicAlias.objects.filter(name__in=names).order_by().values_list("name", "topic_id"))


def aliased_provider_ids(pairs):
    """{(name, domain): id of the kept provider} for the pairs that are aliases: one query."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = (
        ProviderAlias.objects.filter(name__in={name for name, _ in pairs})
        .order_by()
        .values_list("name", "domain", "provider_id")
    )
    return {(name, domain): pk for name, domain, pk in rows if (name, domain) in pairs}


def topic_alias_named(name):
    """The TopicAlias with this name (with its topic), or None: an admin's form says a merged
    name is taken rather than let it come back as a second topic."""
    return TopicAlias.objects.select_related("topic").filter(name=name).first()


def provider_alias_named(name, domain):
    """The ProviderAlias for this name and domain (with its provider), or None."""
    return ProviderAlias.objects.select_related("provider").filter(name=name, domain=domain).first()


# --- what a filter's value names (the queue, the admin's lists, the API) -------------------

# Several providers may share a name (one per domain): a filter by that name takes them all,
# up to this many.
MAX_NAMED = 20


@dataclass(frozen=True)
class Named:
    """The live rows a filter's value names (`ids`, empty: none), and the alias followed to
    reach them (None when the value named live rows, or nothing)."""

    noun: str
    value: str
    ids: tuple = ()
    alias: TopicAlias | ProviderAlias | None = None

    @property
    def notice(self):
        """What the person filtering is told, "" when the value named live rows: a merged
        name followed, or a value that names nothing (rather than a list silently empty)."""
        if self.alias is not None:
            kept = self.alias.topic if isinstance(self.alias, TopicAlias) else self.alias.provider
            return f"The {self.noun} “{self.alias}” was merged into “{kept}”: showing the items of “{kept}”."
        if not self.ids and self.value:
            return f"No {self.noun} is named “{self.value}” (or has that id): nothing matches."
        return ""


# The ids of rows merged away (their aliases' `merged_id`), so that a filter by a live row's
# id, the queue's topic and provider links, costs no query of its own (the queue's budget);
# only an id in this set is looked up, as an alias. Kept in the shared cache (Redis in
# production, as the queue's counts are), forgotten when a merge or an alias deletion
# commits, and never older than this in any case.
MERGED_IDS_SECONDS = 300


def _merged_ids_key(alias_model):
    return f"taxonomy:merged-ids:{alias_model._meta.model_name}"


def merged_ids(alias_model):
    """The old ids of the topics (alias_model=TopicAlias) or providers merged away."""
    key = _merged_ids_key(alias_model)
    ids = cache.get(key)
    if ids is None:
        ids = frozenset(alias_model.objects.exclude(merged_id=None).values_list("merged_id", flat=True))
        cache.set(key, ids, MERGED_IDS_SECONDS)
    return ids


def forget_merged_ids(*, at_once=False):
    """Called by the merge and the alias deletion: once they commit (or `at_once`), the
    next filter reads the merged ids again."""
    keys = [_merged_ids_key(alias_model) for alias_model in (TopicAlias, ProviderAlias)]
    if at_once:
        cache.delete_many(keys)
    else:
        transaction.on_commit(lambda: cache.delete_many(keys))


def find_topic(*, pk=None, text="", names=True):
    """The topic a filter names: by id (`pk`, parsed by the caller), else `text` as a slug or
    (`names`) a name in any case. A live topic first; else one merged away, by the old id,
    slug or name its alias keeps, followed to the topic it was merged into. An id is taken as
    it is (no query: an id no row has matches nothing) unless a merged topic had it; by text,
    two queries at most, the second only for a value no live topic answers.

    A bare number is also what a topic may be called ("2020", slug "2020"): a live topic with
    that slug or name comes first, then the id (one query); "#2020" is always the id."""
    text = visible_name(text or "")
    if pk is not None and names and text and not text.startswith("#"):
        named = Topic.objects.filter(Q(slug=text) | Q(name__iexact=text)).order_by("pk").values_list("pk", flat=True)
        if (found := named.first()) is not None:
            return Named("topic", text, (found,))
    if pk is not None:
        if pk not in merged_ids(TopicAlias):
            return Named("topic", f"#{pk}", (pk,))
        # A merged topic's id: ids are never given again, so no live topic has it.
        text, merged = f"#{pk}", Q(merged_id=pk)
    elif text:
        condition = merged = Q(slug=text) | Q(name__iexact=text) if names else Q(slug=text)
        if (found := Topic.objects.filter(condition).order_by("pk").values_list("pk", flat=True).first()) is not None:
            return Named("topic", text, (found,))
    else:
        return Named("topic", text)
    alias = TopicAlias.objects.filter(merged).select_related("topic").order_by("pk").first()
    return Named("topic", text, (alias.topic_id,), alias) if alias else Named("topic", text)


def find_providers(*, pk=None, text="", names=True):
    """The providers a filter names: by id (`pk`), else `text` as the type-ahead labels one
    ("Name (domain)"), a domain or (`names`) a name, in any case; all that share it, up to
    MAX_NAMED. Live providers first; else merged ones, followed as find_topic does (an id
    without a query, unless a merged provider had it)."""
    text = visible_name(text or "")
    if pk is not None:
        if pk not in merged_ids(ProviderAlias):
            return Named("provider", f"#{pk}", (pk,))
        text, merged = f"#{pk}", Q(merged_id=pk)  # a merged provider's id: no live one has it
    elif text:
        condition = Q(domain__iexact=text) | Q(name__iexact=text) if names else Q(domain__iexact=text)
        if names and text.endswith(")") and " (" in text:
            name, _, domain = text[:-1].rpartition(" (")
            condition |= Q(name=name, domain=domain)
        if found := tuple(Provider.objects.filter(condition).order_by("pk").values_list("pk", flat=True)[:MAX_NAMED]):
            return Named("provider", text, found)
        merged = condition
    else:
        return Named("provider", text)
    aliases = list(ProviderAlias.objects.filter(merged).select_related("provider").order_by("pk")[:MAX_NAMED])
    if not aliases:
        return Named("provider", text)
    return Named("provider", text, tuple(dict.fromkeys(alias.provider_id for alias in aliases)), aliases[0])


def topic_ids_by_slug(slug):
    """find_topic by slug as a subquery, for the public API, whose filtered page is one
    query: the topic with this slug, or the one that a topic with it was merged into (never
    both: a live topic may not take an alias's slug, see Topic.clean and _new_slugs)."""
    merged = TopicAlias.objects.filter(slug=slug).values("topic_id")
    return Topic.objects.filter(Q(slug=slug) | Q(pk__in=merged)).order_by().values("pk")


def provider_ids_by(*, pk=None, domain=""):
    """find_providers by id or domain as a subquery, for the public API: the live providers,
    and those that providers with this id or domain were merged into."""
    if pk is not None:
        live, merged = Q(pk=pk), ProviderAlias.objects.filter(merged_id=pk)
    else:
        live, merged = Q(domain__iexact=domain), ProviderAlias.objects.filter(domain__iexact=domain)
    return Provider.objects.filter(live | Q(pk__in=merged.values("provider_id"))).order_by().values("pk")


def kept_topic_names(names):
    """{name: the kept topic's name} for those of `names` (exact, as rules read them) that
    name no topic now but a merged one (its alias). Two queries at most."""
    found = _topics_named(list(dict.fromkeys(names)))
    return {name: topic.name for name, topic in found.items() if topic.name != name}


def kept_provider_names(names):
    """{name: the kept provider's name} for those of `names` (as rules read them: a name, or
    a domain in any case) that name no provider now but a merged one, by its alias's name or
    domain. Two queries at most."""
    names = set(names)
    live = Provider.objects.filter(Q(name__in=names) | Q(domain__in={name.lower() for name in names}))
    named, domains = set(), set()
    for name, domain in live.values_list("name", "domain"):
        named.add(name)
        domains.add(domain)
    orphans = {name for name in names if name not in named and name.lower() not in domains}
    if not orphans:
        return {}
    aliases = ProviderAlias.objects.filter(Q(name__in=orphans) | Q(domain__in={name.lower() for name in orphans}))
    kept = {}
    for alias in aliases.select_related("provider").order_by("pk"):
        for name in orphans:
            if alias.name == name or (alias.domain and alias.domain == name.lower()):
                kept.setdefault(name, alias.provider.name)
    return kept


def _topics_named(names):
    """{name: Topic} for the names that are topics or aliases of one (then the kept topic)."""
    found = {topic.name: topic for topic in Topic.objects.filter(name__in=names).order_by()}
    if aliased := [name for name in names if name not in found]:
        rows = TopicAlias.objects.filter(name__in=aliased).select_related("topic").order_by()
        found.update((alias.name, alias.topic) for alias in rows)
    return found


def new_topic_slugs(names, *, disambiguate=False):
    """{name: slug} for topics about to be created (Topic.slug_for). A slug a merged topic's
    alias holds stays that alias's redirect (public/http.py), so such a name takes its own
    disambiguated slug instead, as it does when another topic holds the slug. One query."""
    slugs = {name: Topic.slug_for(name, disambiguate=disambiguate) for name in names}
    held = set(TopicAlias.objects.filter(slug__in=slugs.values()).values_list("slug", flat=True))
    return {name: Topic.slug_for(name, disambiguate=True) if slug in held else slug for name, slug in slugs.items()}


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
        slugs = new_topic_slugs(missing, disambiguate=disambiguate)
        rows = sorted(
            (Topic(name=name, slug=slugs[name]) for name in missing), key=lambda topic: (topic.slug, topic.name)
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
        found = {(p.name, p.domain): p for p in rows if (p.name, p.domain) in wanted_set}
        if aliased := wanted_set - found.keys():
            names = {name for name, _ in aliased}
            rows = ProviderAlias.objects.filter(name__in=names).select_related("provider").order_by()
            found.update(((a.name, a.domain), a.provider) for a in rows if (a.name, a.domain) in aliased)
        return found

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
    # An alias and its kept topic both named give that topic once.
    return list({topic.pk: topic for topic in ensure_topics(names).values()}.values())
