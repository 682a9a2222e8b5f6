"""Values every curator page's navigation shows."""

from django.utils.functional import SimpleLazyObject

from curation import selectors_queue


def queue_counts(request):
    """`queue_new_count`: how many items wait in the new queue, read (from a short cache)
    only when a template shows it, and only for signed-in users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"queue_new_count": SimpleLazyObject(selectors_queue.new_items_count)}
