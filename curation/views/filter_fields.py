"""The queue's filter fields as plain values, rendered by a Jinja2 template
(templates/jinja2/curation/filter_fields.html) like the rows: every value escaped there."""

from dataclasses import dataclass

from django.forms.widgets import Input, Select
from django.template import engines
from django.utils.safestring import mark_safe


@dataclass
class FilterField:
    """One field: a <select> (`choices`, the `selected` value), an <input> (`attrs`), or any
    other widget as Django renders it (`widget_html`)."""

    name: str
    label: str
    id_for_label: str
    errors: list
    attrs: dict
    choices: list | None = None
    selected: str = ""
    widget_html: str = ""


def filter_field(bound):
    widget = bound.field.widget
    value = bound.value()
    attrs = {"name": bound.html_name, "id": bound.auto_id}
    field = FilterField(bound.name, bound.label, bound.id_for_label, list(bound.errors), attrs)
    if isinstance(widget, Select):
        field.choices = list(bound.field.choices)
        field.selected = "" if value is None else str(value)
    elif isinstance(widget, Input):
        attrs.update(widget.attrs)
        attrs.setdefault("type", widget.input_type)
        if value not in (None, ""):
            attrs["value"] = str(value)
    else:
        field.widget_html = bound.as_widget()
    return field


def render_filter_fields(form, *, leave_out=("sort",)):
    """The fields of the queue's filter form (the sort has its own control in the toolbar)."""
    fields = [filter_field(bound) for bound in form if bound.name not in leave_out]
    return mark_safe(engines["rows"].get_template("curation/filter_fields.html").render({"fields": fields}))
