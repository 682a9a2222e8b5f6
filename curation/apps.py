from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate


class CurationConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'curation'

    def ready(self):
        import curation.checks  # noqa: F401 - registers the deploy checks
        import curation.lookups  # noqa: F401 - registers the in_array lookup
        from curation.stories import rarity

        rarity.keep_tables_in(settings.NEWSROOM_CACHE_DIR)

        # SQLite drops the full-text triggers and the indexes made with raw SQL whenever a
        # migration rebuilds the article table.
        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="curation_search_repair")


def repair_after_migrate(sender, using="default", **kwargs):
    from curation.db import backend

    database = backend(using)
    database.repair_search_index()
    database.repair_indexes()
