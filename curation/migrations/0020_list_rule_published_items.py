"""Items a triage rule published before rules set Article.listed_at were stored without it,
so the public listings (newest listed first, NULLs last) put them at the end: list each from
when it was published, or when its embargo ended if that was later."""

from django.db import migrations
from django.db.models.functions import Coalesce, Greatest


def list_unlisted_published_items(apps, schema_editor):
    Article = apps.get_model("curation", "Article")
    unlisted = Article.objects.filter(state="published", listed_at__isnull=True)
    published = Coalesce("state_changed_at", "published_at", "imported_at")
    unlisted.filter(embargo_until__isnull=False).update(listed_at=Greatest("embargo_until", published))
    unlisted.update(listed_at=published)


class Migration(migrations.Migration):
    dependencies = [("curation", "0019_editorial_action_kinds_after_merges")]

    operations = [migrations.RunPython(list_unlisted_published_items, migrations.RunPython.noop)]
