"""Small template helpers for the curator workspace."""

from django import template
from django.forms.utils import flatatt
from django.forms.widgets import Input, Select
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from curation.models import HEAT_UNKNOWN
from curation.selectors import reason_labels
from curation.validation import safe_url as _safe_url

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


@register.simple_tag
def fast_field(bound):
    """A filter field's <input> or <select>, built directly: Django renders each widget
    through its own templates, which cost as much as a dozen queue rows per page."""
    widget = bound.field.widget
    if not isinstance(widget, (Select, Input)):
        return bound.as_widget()
    value = bound.value()
    attrs = {"name": bound.html_name, "id": bound.auto_id}
    if isinstance(widget, Select):
        selected = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) == selected else "", label) for key, label in bound.field.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(attrs), options)
    attrs.update(widget.attrs)
    attrs.setdefault("type", widget.input_type)
    if value not in (None, ""):
        attrs["value"] = str(value)
    return format_html("<input{}>", flatatt(attrs))
