"""Topics, providers and rejection reasons stored before names that show nothing were refused
(curation.validation.visible_name): a name of only zero-width spaces, byte order marks,
bidirectional controls, spaces of any kind, Hangul fillers or combining marks alone shows
as a blank link on the public pages, a blank option in the queue's filters and the reason
menus. Each such row is given a name that says what it is and which row it is ("Topic 12
(name had no visible characters)"), which an admin can then change, or, a provider with a
domain, its domain (as the import names a provider with a domain and no name); its slug,
code and links stay as they were, so no URL and no history changes."""

import unicodedata

from django.db import migrations

# Literal copies of curation.validation's rule of the day: a migration keeps the rule of its day.
# (visible_name takes off invisible characters at either end, then a name of nothing but
# invisible characters and lone combining marks is no name.)
INVISIBLE_OR_MARK = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# A name with an ASCII letter or digit shows something: only the others are read in Python.
# Django's regex lookup is the database's own on PostgreSQL, a function on SQLite.
ANY_ASCII_ALNUM = r"[A-Za-z0-9]"


def shows_nothing(name):
    """visible_name(name) == "": nothing but invisible characters and lone combining marks."""
    return all(c in BLANK_LOOKALIKES or unicodedata.category(c) in INVISIBLE_OR_MARK for c in name)


def rename(model, field, label, batch=500, *, instead=None):
    """`instead`: {pk: a name to give first} (a provider's domain, as the import names a
    provider that has a domain and no name), when no row has it already."""
    suspects = model.objects.exclude(**{f"{field}__regex": ANY_ASCII_ALNUM}).values_list("pk", field)
    blank = [pk for pk, name in suspects.iterator(chunk_size=2000) if shows_nothing(name)]
    instead = instead(blank) if instead else {}
    for start in range(0, len(blank), batch):
        names = {pk: f"{label} {pk} ({field} had no visible characters)" for pk in blank[start : start + batch]}
        # Topic names are unique, and providers' names with their domain: an admin may have
        # given one of these names already (each names its row, so they differ from each other).
        taken = set(model.objects.filter(**{f"{field}__in": names.values()}).values_list(field, flat=True))
        rows = []
        for pk, name in names.items():
            if pk in instead:
                name = instead[pk]  # known to be free
            elif name in taken:
                extra = 2
                while model.objects.filter(**{field: f"{name[:-1]}, {extra})"}).exists():
                    extra += 1
                name = f"{name[:-1]}, {extra})"
            rows.append(model(pk=pk, **{field: name}))
        model.objects.bulk_update(rows, [field])


def provider_domains(model):
    """{pk: domain} for the providers to rename that have a domain no other provider of that
    domain is named after (the unique constraint is on name and domain together)."""

    def domains(pks):
        found, given = {}, set()
        rows = model.objects.filter(pk__in=pks).exclude(domain="").order_by("pk").values_list("pk", "domain")
        for pk, domain in rows:
            if domain in given or model.objects.filter(name=domain, domain=domain).exists():
                continue
            found[pk] = domain
            given.add(domain)
        return found

    return domains


def name_rows_that_show_nothing(apps, schema_editor):
    rename(apps.get_model("curation", "Topic"), "name", "Topic")
    provider = apps.get_model("curation", "Provider")
    rename(provider, "name", "Provider", instead=provider_domains(provider))
    rename(apps.get_model("curation", "RejectionReason"), "label", "Rejection reason")


class Migration(migrations.Migration):
    dependencies = [("curation", "0021_dates_outside_the_accepted_years")]

    operations = [migrations.RunPython(name_rows_that_show_nothing, migrations.RunPython.noop)]
