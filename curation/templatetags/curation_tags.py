"""Small template helpers for the curator workspace."""

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from curation.models import HEAT_UNKNOWN
from curation.selectors_reasons import reason_labels
from curation.validation import safe_url as _safe_url
from curation.views.controls import render_control

register = template.Library()


@register.filter
def safe_url(value):
    """The URL if it is an absolute http(s) URL, else "": anything else never becomes a link."""
    return _safe_url(value)


@register.filter
def heat_display(value):
    """Heat as the editor reads it: the source's -1 (or nothing) means unknown."""
    if value is None or value == HEAT_UNKNOWN:
        return "unknown"
    return value


@register.filter
def score_display(value):
    return "–" if value is None else value


@register.filter
def reason_label(code):
    """A rejection reason's label (its code, if the reason was deleted since)."""
    return reason_labels().get(code, code) if code else ""


@register.simple_tag
def article_url(article, query=""):
    """The curator page of `article`, carrying the queue's filter querystring."""
    pk = getattr(article, "pk", article)
    url = reverse("curation:article-detail", args=[pk])
    return f"{url}?{query}" if query else url


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def control(bound):
    """A form field's control through the compiled control template (views.controls),
    for forms drawn on every queue page."""
    return render_control(bound)


@register.simple_tag
def refused_attrs(kept, name):
    """On the bulk bar's control that a refused bulk decision named (views.common.keep_ticked):
    focused on load (autofocus works without JavaScript), marked invalid, and described by
    the refusal shown above the bar (#bulk-refusal)."""
    if kept and kept.get("field") == name:
        return mark_safe(' autofocus aria-invalid="true" aria-describedby="bulk-refusal"')
    return ""
