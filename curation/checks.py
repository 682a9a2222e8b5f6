"""The project's own system checks (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache_for_several_workers(app_configs, **kwargs):
    """Without REDIS_URL the cache is each process's own memory, and it holds what an
    editor's next request must find: a bulk decision's progress, Continue and Undo. Under a
    server with several worker processes that request may reach another process, which
    has never heard of the run ("no longer remembered", at random). Nothing in a process can
    tell how many siblings it has, so this says it wherever it applies."""
    if settings.REDIS_URL:
        return []
    return [
        checks.Warning(
            "REDIS_URL is not set: the cache is each process's own memory, so with more than one "
            "worker process (gunicorn --workers 2 or more, or several servers) an editor's bulk "
            "decisions lose their progress, Continue and Undo at random.",
            hint="Set REDIS_URL (docs/deployment.md, section 2). Only a single worker process "
            "(gunicorn --workers 1) can do without it.",
            id="curation.W001",
        )
    ]
