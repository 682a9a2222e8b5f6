"""Merging duplicate topics or providers ("AI" into "Artificial intelligence", "reuters.com"
into "Reuters"): every reference to the merged ones moves to the one kept, then the merged
ones are deleted, in one transaction, and the admin's log (each object's History) says so.

What refers to a topic: articles (the topics link table) and triage rules, by name (the
condition `when.topic` and the add_topic action's `topic`). To a provider: articles,
related-coverage entries, and rules by name or domain (`when.provider`). The test
test_admin_merge.test_every_relation_to_a_topic_or_provider_is_moved holds this list
against the models, so a new foreign key is not forgotten.

A rule is saved through services.rules.save_rule: its version goes up and the new definition
is kept, so the audit rows of its earlier acts still read against what it said then. History
is not rewritten: audit rows' before/after and rule versions keep the names they had.

Each merged row's name (a topic's with its slug, a provider's with its domain) and its id are kept as an
alias of the kept one (TopicAlias, ProviderAlias), and aliases that named a merged row name
the kept one now: services/taxonomy.py resolves them, so the import and the editors find the
kept row by the old names instead of creating them again, and public/ redirects the old
topic page. Deleting an alias (delete_aliases, with the merge's permissions) frees the name.

As a rename in the admin, a merge is not an editorial act on each article (no audit row or
version per article; readers see it within PUBLIC_ETAG_REFRESH_SECONDS, see public/http.py).
"""

import copy
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, ProtectedError, Q

from curation.models import Article, Provider, ProviderAlias, RelatedCoverage, Rule, Topic, TopicAlias
from curation.services import taxonomy
from curation.services.rules import save_rule

# More than this many at once is almost surely a "select all" by mistake, and past what the
# confirmation page can list for an admin to read.
MAX_MERGED = 100
# Link rows written per INSERT while moving a topic's articles.
LINK_BATCH = 1000


class MergeRefused(ValueError):
    """A merge that cannot be done as asked; nothing was written. The message says why."""


@dataclass
class Candidate:
    """One of the selected rows, with what refers to it (for the confirmation page)."""

    obj: object
    articles: int
    coverage: int = 0  # related-coverage entries (providers only)
    rules: list = field(default_factory=list)  # the Rules that name it


@dataclass
class MergeResult:
    kept: object
    merged: list  # str() of each merged row, as it was
    articles_moved: int  # articles that carried (or were by) a merged one
    articles_had_kept: int = 0  # of those, topics only: the ones that carried the kept topic already
    coverage_moved: int = 0
    rules_updated: list = field(default_factory=list)  # rule names

    @property
    def summary(self):
        names = ", ".join(f"“{name}”" for name in self.merged)
        parts = [f"{self.articles_moved} article{'' if self.articles_moved == 1 else 's'} moved"]
        if self.articles_had_kept:
            parts[0] += f" ({self.articles_had_kept} already had “{self.kept}”)"
        if self.coverage_moved:
            parts.append(f"{self.coverage_moved} related-coverage entries moved")
        if self.rules_updated:
            parts.append(f"rules updated: {', '.join(f'“{name}”' for name in self.rules_updated)}")
        else:
            parts.append("no rule named them")
        return f"Merged {names} into “{self.kept}”: {'; '.join(parts)}."


def _noun(model, count=1):
    meta = model._meta
    return str(meta.verbose_name if count == 1 else meta.verbose_name_plural)


def may_merge(user, model):
    """Merging changes the kept row and deletes the others: both permissions."""
    label = model._meta.app_label
    name = model._meta.model_name
    return bool(
        user and user.is_active and user.has_perm(f"{label}.change_{name}") and user.has_perm(f"{label}.delete_{name}")
    )


def _checked_ids(model, ids):
    ids = list(dict.fromkeys(ids))
    if len(ids) < 2:
        raise MergeRefused(
            f"Select at least two {_noun(model, 2)} to merge: the one to keep and one or more to merge into it."
        )
    if len(ids) > MAX_MERGED + 1:
        raise MergeRefused(f"Select at most {MAX_MERGED + 1} {_noun(model, 2)} to merge at a time; nothing was merged.")
    return ids


def _found(model, ids, rows):
    if len(rows) != len(ids):
        missing = len(ids) - len(rows)
        raise MergeRefused(
            f"{missing} of the selected {_noun(model, 2)} no longer exist{'s' if missing == 1 else ''} "
            "(merged or deleted meanwhile, or never existed); nothing was merged. Reload the list and select again."
        )
    return rows


# --- what rules say about topics and providers ---------------------------------------------


def _names_provider(name, provider):
    # As rule_conditions reads `when.provider`: a provider's exact name, or its domain in any case.
    return name == provider.name or bool(provider.domain and name.lower() == provider.domain)


def _rule_names_topic(definition, topic):
    return topic.name in definition.get("when", {}).get("topic", ()) or (
        definition.get("action") == "add_topic" and definition.get("topic") == topic.name
    )


def _rule_names_provider(definition, provider):
    return any(_names_provider(name, provider) for name in definition.get("when", {}).get("provider", ()))


def _unique(names):
    return list(dict.fromkeys(names))


def _topic_definition(definition, kept, merged):
    """The definition with the merged topics' names replaced by the kept one's."""
    merged_names = {topic.name for topic in merged}
    new = copy.deepcopy(definition)
    when = new.get("when", {})
    if "topic" in when:
        when["topic"] = _unique(kept.name if name in merged_names else name for name in when["topic"])
    if new.get("action") == "add_topic" and new.get("topic") in merged_names:
        new["topic"] = kept.name
    return new


def _provider_definition(definition, kept, merged, still_named):
    """The definition whose `when.provider` still matches every article it matched: a name
    that named a merged provider names the kept one instead (its articles are the kept one's
    now), and stays as well where it also names a provider that remains (`still_named`)."""
    new = copy.deepcopy(definition)
    when = new.get("when", {})
    names = when.get("provider")
    if not names or not any(_names_provider(name, p) for name in names for p in merged):
        return new
    rewritten = []
    for name in names:
        if not any(_names_provider(name, p) for p in merged) or _names_provider(name, kept) or still_named(name):
            rewritten.append(name)
        else:
            rewritten.append(kept.name)
    if not any(_names_provider(name, kept) for name in rewritten):
        rewritten.append(kept.name)
    when["provider"] = _unique(rewritten)
    return new


def _remaining_provider_names(merged, rules):
    """A test: does this name (from a rule) name a provider other than the merged ones? One
    query for every name the rules give."""
    names = {name for rule in rules for name in rule.when.get("provider", ())}
    if not names:
        return lambda name: False
    lowered = {name.lower() for name in names}
    rows = (
        Provider.objects.exclude(pk__in=[p.pk for p in merged])
        .filter(Q(name__in=names) | Q(domain__in=lowered))
        .values_list("name", "domain")
    )
    named, domains = set(), set()
    for name, domain in rows:
        named.add(name)
        if domain:
            domains.add(domain)
    return lambda name: name in named or name.lower() in domains


# --- the confirmation page's facts ---------------------------------------------------------


def merge_candidates(model, ids):
    """[Candidate] for the selected rows (by name), with what refers to each: a few queries
    whatever the selection. Raises MergeRefused as the merge would (too few, missing)."""
    ids = _checked_ids(model, ids)
    if model is Topic:
        rows = list(Topic.objects.filter(pk__in=ids).with_article_counts().order_by("name", "pk"))
        articles = {topic.pk: topic.article_count for topic in rows}
        coverage = {}
        names = _rule_names_topic
    else:
        rows = list(Provider.objects.filter(pk__in=ids).order_by("name", "domain", "pk"))
        articles = dict(_counts(Article.objects.filter(provider_id__in=ids), "provider_id"))
        coverage = dict(_counts(RelatedCoverage.objects.filter(provider_id__in=ids), "provider_id"))
        names = _rule_names_provider
    _found(model, ids, rows)
    rules = list(Rule.objects.in_order())
    return [
        Candidate(
            obj=row,
            articles=articles.get(row.pk, 0),
            coverage=coverage.get(row.pk, 0),
            rules=[rule for rule in rules if names(rule.definition, row)],
        )
        for row in rows
    ]


def _counts(queryset, column):
    return queryset.order_by().values_list(column).annotate(n=Count("pk"))


# --- the merge -----------------------------------------------------------------------------


def merge_topics(*, keep, ids, user, via="admin"):
    """Merge the topics `ids` into the one of them whose id is `keep`; see the module."""
    return _merge(Topic, keep=keep, ids=ids, user=user, via=via)


def merge_providers(*, keep, ids, user, via="admin"):
    """Merge the providers `ids` into the one of them whose id is `keep`; see the module."""
    return _merge(Provider, keep=keep, ids=ids, user=user, via=via)


def _merge(model, *, keep, ids, user, via):
    if not may_merge(user, model):
        raise PermissionDenied(f"Merging {_noun(model, 2)} needs the permissions to change and to delete them.")
    ids = _checked_ids(model, ids)
    if keep not in ids:
        raise MergeRefused(f"Choose which of the selected {_noun(model, 2)} to keep; nothing was merged.")
    try:
        with transaction.atomic():
            # Locked in one order (by id), so two admins merging overlapping selections
            # wait for each other instead of deadlocking; the second finds rows gone.
            rows = _found(model, ids, list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk")))
            kept = next(row for row in rows if row.pk == keep)
            merged = [row for row in rows if row.pk != keep]
            result = (_move_topic_references if model is Topic else _move_provider_references)(kept, merged)
            result.rules_updated = _rewrite_rules(model, kept, merged, user)
            _record_aliases(model, kept, merged)
            taxonomy.forget_merged_ids()
            _log(model, kept, merged, result, user, via)
            model.objects.filter(pk__in=[row.pk for row in merged]).delete()
    except ProtectedError:
        # Something came to refer to a merged row after it was locked (it cannot on
        # PostgreSQL, where a new reference waits for the lock): the whole merge is undone.
        raise MergeRefused(
            f"Something new refers to one of the {_noun(model, 2)} being merged; nothing was merged. Try again."
        ) from None
    return result


def _move_topic_references(kept, merged):
    through = Article.topics.through
    merged_ids = [topic.pk for topic in merged]
    carrying = through.objects.filter(topic_id__in=merged_ids)
    with_kept = through.objects.filter(topic_id=kept.pk).values("article_id")
    moved = carrying.values("article_id").distinct().count()
    had_kept = carrying.filter(article_id__in=with_kept).values("article_id").distinct().count()
    # One link to the kept topic per article, however many merged topics it carried and
    # whether it carried the kept one already (the link table is unique on the pair).
    missing = carrying.exclude(article_id__in=with_kept).order_by("article_id").values_list("article_id", flat=True)
    last = 0
    while batch := list(missing.filter(article_id__gt=last).distinct()[:LINK_BATCH]):
        through.objects.bulk_create([through(article_id=pk, topic_id=kept.pk) for pk in batch], ignore_conflicts=True)
        last = batch[-1]
    carrying.delete()
    return MergeResult(
        kept=kept, merged=[str(topic) for topic in merged], articles_moved=moved, articles_had_kept=had_kept
    )


def _move_provider_references(kept, merged):
    merged_ids = [provider.pk for provider in merged]
    moved = Article.objects.filter(provider_id__in=merged_ids).update(provider=kept)
    coverage = RelatedCoverage.objects.filter(provider_id__in=merged_ids).update(provider=kept)
    return MergeResult(
        kept=kept, merged=[str(provider) for provider in merged], articles_moved=moved, coverage_moved=coverage
    )


def _record_aliases(model, kept, merged):
    """The merged rows' names become aliases of the kept one, and their own aliases (from
    earlier merges into them) follow: C merged into A, then A into B, leaves C naming B."""
    merged_ids = [row.pk for row in merged]
    if model is Topic:
        TopicAlias.objects.filter(topic_id__in=merged_ids).update(topic=kept)
        # Nothing else should hold these names or slugs (they were topics until now); one
        # that does is stale and gives way, as the unique columns need.
        TopicAlias.objects.filter(Q(name__in=[t.name for t in merged]) | Q(slug__in=[t.slug for t in merged])).delete()
        TopicAlias.objects.bulk_create(
            [TopicAlias(name=t.name, slug=t.slug, topic=kept, merged_id=t.pk) for t in merged]
        )
    else:
        ProviderAlias.objects.filter(provider_id__in=merged_ids).update(provider=kept)
        pairs = Q()
        for provider in merged:
            pairs |= Q(name=provider.name, domain=provider.domain)
        ProviderAlias.objects.filter(pairs).delete()
        ProviderAlias.objects.bulk_create(
            [ProviderAlias(name=p.name, domain=p.domain, provider=kept, merged_id=p.pk) for p in merged]
        )


def delete_aliases(*, model, ids, user, via="admin"):
    """Delete these aliases of topics (model=Topic) or providers (model=Provider): their
    names are free again, so the next import that names one creates it anew. Needs the
    merge's permissions; each kept row's History says which alias went. Returns the count."""
    if not may_merge(user, model):
        raise PermissionDenied(f"Deleting aliases of {_noun(model, 2)} needs the permissions to merge them.")
    alias_model, owner = (TopicAlias, "topic") if model is Topic else (ProviderAlias, "provider")
    with transaction.atomic():
        aliases = list(alias_model.objects.select_for_update().filter(pk__in=ids).select_related(owner).order_by("pk"))
        by_owner = {}
        for alias in aliases:
            by_owner.setdefault(getattr(alias, owner), []).append(f"“{alias}”")
        for row, names in by_owner.items():  # one entry per kept row (a change page deletes one row's)
            LogEntry.objects.log_actions(
                user_id=user.pk,
                queryset=[row],
                action_flag=CHANGE,
                change_message=f"Alias {', '.join(names)} deleted: the name is free again (via {via}).",
            )
        alias_model.objects.filter(pk__in=[alias.pk for alias in aliases]).delete()
        taxonomy.forget_merged_ids()
    return len(aliases)


def _rewrite_rules(model, kept, merged, user):
    """Save (a new version of) each rule that named a merged row; returns their names."""
    rules = list(Rule.objects.select_for_update().in_order())
    if model is Topic:
        rewrite = lambda definition: _topic_definition(definition, kept, merged)  # noqa: E731
    else:
        still_named = _remaining_provider_names(merged, rules)
        rewrite = lambda definition: _provider_definition(definition, kept, merged, still_named)  # noqa: E731
    updated = []
    for rule in rules:
        definition = rewrite(rule.definition)
        if definition != rule.definition:
            save_rule(
                rule=rule,
                name=rule.name,
                definition=definition,
                enabled=rule.enabled,
                user=user,
                expected_version=rule.version,
            )
            updated.append(rule.name)
    return updated


def _log(model, kept, merged, result, user, via):
    """The admin's log: on the kept row, what it took in; on each merged row (before it goes),
    where it went. Each row's History page lists its entries."""
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[kept], action_flag=CHANGE, change_message=f"{result.summary} (via {via})"
    )
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=merged,
        action_flag=DELETION,
        change_message=(
            f"Merged into “{kept}” (#{kept.pk}), with its articles and rules; its name is now an alias of it "
            f"(via {via})."
        ),
    )
