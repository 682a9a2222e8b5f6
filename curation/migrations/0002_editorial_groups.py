"""The two roles the curator workspace knows: Editors decide and edit, Viewers only read."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view_article", "view_provider", "view_topic", "view_articleimage", "view_relatedcoverage",
        "view_importrun", "view_importledgerentry", "view_editorialaction"]
EDITORS = READ + ["change_article", "publish_article", "reject_article"]
VIEWERS = READ


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations run; create them now so the
    # groups can reference them on a fresh database.
    app_config = apps.get_app_config("curation")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editors", EDITORS), ("Viewers", VIEWERS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="curation", codename__in=codenames))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Viewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
