"""Scheduling a rejected item published it and kept its rejection's reason code (fixed with
editorial.NOT_REJECTED): such items still came up under the queue's filter for that reason
and as rejected in a rule's preview. An item that is not rejected has no reason code; its
history keeps why it once was."""

from django.db import migrations


def forget_stale_rejection_codes(apps, schema_editor):
    Article = apps.get_model("curation", "Article")
    Article.objects.exclude(state="rejected").exclude(rejection_code="").update(rejection_code="")


class Migration(migrations.Migration):
    dependencies = [("curation", "0030_rule_story_size_at_least_one")]

    operations = [migrations.RunPython(forget_stale_rejection_codes, migrations.RunPython.noop)]
