"""Reads of the rejection reasons editors pick from: the menus, the labels history shows.

Cached for a minute: admins rarely change them, and every write checks the code again
(services/editorial)."""

from urllib.parse import urlencode

from django.core.cache import cache

from curation.models import RejectionReason

REASONS_TTL = 60


def offered_reasons():
    """[(code, label, needs_note)] editors pick from when rejecting, cached for a minute
    (admins rarely change them; the service checks the code again on every write)."""
    reasons = cache.get("curation:reasons:offered")
    if reasons is None:
        reasons = list(RejectionReason.objects.offered().values_list("code", "label", "needs_note"))
        cache.set("curation:reasons:offered", reasons, REASONS_TTL)
    return reasons


def reason_labels():
    """{code: label} of every reason, retired ones included (history shows them)."""
    labels = cache.get("curation:reasons:labels")
    if labels is None:
        labels = dict(RejectionReason.objects.values_list("code", "label"))
        cache.set("curation:reasons:labels", labels, REASONS_TTL)
    return labels


def reason_menu():
    """[(digit, code, formaction query, label, needs_note)] for the queue rows' reason menus:
    each reason at its keyboard digit (its place in `offered_reasons`, from 1)."""
    return [
        (digit, code, f"?{urlencode({'reason_code': code})}", label, needs_note)
        for digit, (code, label, needs_note) in enumerate(offered_reasons(), start=1)
    ]
