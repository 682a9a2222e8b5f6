"""A rule's "story size at least" below 1 is refused from now on (rule_conditions.INT_LEAST).
Such a rule meant what 1 means (an item in no story is a story of one): it is stored as 1, so
that it keeps running instead of being left out as invalid."""

from django.db import migrations


def story_size_at_least_one(apps, schema_editor):
    Rule = apps.get_model("curation", "Rule")
    for rule in Rule.objects.filter(definition__when__story_size_min__lt=1):
        rule.definition["when"]["story_size_min"] = 1
        rule.save(update_fields=["definition"])


class Migration(migrations.Migration):
    dependencies = [("curation", "0029_stats_key_holds_rule_names")]

    operations = [migrations.RunPython(story_size_at_least_one, migrations.RunPython.noop)]
