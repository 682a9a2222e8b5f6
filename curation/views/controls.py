"""Form controls drawn on every queue page (the filter fields, the bulk bar's schedule
fields, the toolbar's sort and page size, the table's header) as plain values, rendered by
Jinja2 templates (templates/jinja2/curation/) like the rows: every value escaped there.
Django's widget templates cost as much as a dozen rows."""

from dataclasses import dataclass

from django.forms.widgets import Input, Select
from django.template import engines
from django.utils.safestring import mark_safe


@dataclass
class FieldControl:
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


def field_control(bound):
    """The control Django would draw for `bound`, with the same attributes (required,
    aria-invalid, aria-describedby: BoundField.build_widget_attrs) and value formatting."""
    widget = bound.field.widget
    value = bound.value()
    attrs = bound.build_widget_attrs({"name": bound.html_name, "id": bound.auto_id, **widget.attrs}, widget)
    control = FieldControl(bound.name, bound.label, bound.id_for_label, list(bound.errors), attrs)
    if isinstance(widget, Select) and not widget.allow_multiple_selected:
        control.choices = list(bound.field.choices)
        control.selected = "" if value is None else str(value)
    elif isinstance(widget, Input):
        attrs.setdefault("type", widget.input_type)
        shown = widget.format_value(value)
        if shown is not None:
            attrs["value"] = str(shown)
    else:
        control.widget_html = bound.as_widget()
    return control


def _render(template, context):
    return mark_safe(engines["rows"].get_template(template).render(context))


def render_filter_fields(form, *, leave_out=("sort",)):
    """The fields of the queue's filter form (the sort has its own control in the toolbar)."""
    return _render("curation/filter_fields.html", {"fields": [field_control(b) for b in form if b.name not in leave_out]})


def active_filters(form, *, leave_out=("sort",)):
    """The filters given, as "Label: value" (a choice by its label): the one line that stands
    for the filter form where a phone's width folds it away."""
    shown = []
    for bound in form:
        value = bound.value()
        if bound.name in leave_out or value in (None, ""):
            continue
        choices = getattr(bound.field, "choices", None)
        if choices is not None:
            labels = {str(key): label for key, label in choices if not isinstance(label, (list, tuple))}
            value = labels.get(str(value), value)
        shown.append(f"{bound.label}: {value}")
    return shown


def render_control(bound):
    """One field's control alone (its label and wrapper are the caller's)."""
    return _render("curation/field_control.html", {"field": field_control(bound)})


def render_select(attrs, choices, selected):
    """A <select> of no form class (the toolbar's sort and page size): `attrs` in order."""
    control = FieldControl(attrs["name"], "", attrs["id"], [], attrs, choices=list(choices), selected=str(selected))
    return _render("curation/field_control.html", {"field": control})


def render_table_head(columns):
    """The queue table's header cells (views.queue.Column)."""
    return _render("curation/queue_head.html", {"columns": columns})
