"""Two admins editing one small reference row (a topic, a provider, a rejection reason) at
once: the second save is refused with a message, not written over the first.

These rows have no version column (rules have one: services/rules.py), so the form carries
what the row held when the page was opened, as a fingerprint of the fields it edits. The
form compares it with the row as the POST found it (a message on the form), and save_model
again under a row lock, inside the admin's transaction (a save that slipped in between is a
message too, and nothing of the POST is written). Only the fields a form edits count: a
reason's label renamed on its page does not block another admin ticking "active" in the list.
"""

import hashlib
import json

from django import forms
from django.contrib import messages
from django.forms.models import BaseModelFormSet
from django.http import HttpResponseRedirect
from django.utils.safestring import mark_safe

STALE_MESSAGE = (
    "Someone else changed this {name} since you opened the page; nothing was saved. "
    "Reload the page to see their change, then make yours again."
)


class StaleEdit(Exception):
    """Another admin saved the row after this form was opened."""


def fingerprint(instance, names):
    values = [str(instance._meta.get_field(name).value_from_object(instance)) for name in names]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:32]


class SeenStateForm(forms.ModelForm):
    seen_state = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Bound or not: a list's unchanged row must compare equal (ModelAdmin saves only
            # the rows of a list whose form has_changed).
            self.initial["seen_state"] = self.fingerprint(self.instance)

    def edited_fields(self):
        names = {f.name for f in self._meta.model._meta.concrete_fields if f.editable and not f.primary_key}
        return sorted(name for name in self.fields if name in names)

    def fingerprint(self, instance):
        return fingerprint(instance, self.edited_fields())

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_state")
        if self.instance.pk and seen and seen != self.fingerprint(self.instance):
            raise forms.ValidationError(STALE_MESSAGE.format(name=self._meta.model._meta.verbose_name))
        return cleaned


class _PkWithSeenState(forms.HiddenInput):
    """The list's hidden id input, followed by the row's seen_state: the admin's list
    renders a row's hidden id and its editable columns, no other field of the row's form."""

    def __init__(self, form):
        super().__init__()
        self.form = form

    def render(self, name, value, attrs=None, renderer=None):
        return mark_safe(super().render(name, value, attrs, renderer) + self.form["seen_state"].as_hidden())


class _SeenStateFormSet(BaseModelFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)  # adds the hidden id, after the form's __init__
        # The list's editable cells have no <label> (the column header is not one): each
        # control is named by its column and its row, or a screen reader hears "checkbox".
        for field in form.fields.values():
            if not field.widget.is_hidden and form.instance.pk is not None:
                field.widget.attrs["aria-label"] = f"{field.label}: {form.instance}"
        pk = form.fields.get(self.model._meta.pk.name)
        if pk is not None and "seen_state" in form.fields:
            pk.widget = _PkWithSeenState(form)


class SeenStateAdmin:
    """ModelAdmin mixin: the change form and the list's rows refuse a stale save."""

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", self.form)
        return super().get_changelist_form(request, **kwargs)

    def get_changelist_formset(self, request, **kwargs):
        kwargs.setdefault("formset", _SeenStateFormSet)
        return super().get_changelist_formset(request, **kwargs)

    def save_model(self, request, obj, form, change):
        seen = form.cleaned_data.get("seen_state") if change else None
        if seen:
            current = type(obj).objects.select_for_update().get(pk=obj.pk)
            if form.fingerprint(current) != seen:
                raise StaleEdit(STALE_MESSAGE.format(name=obj._meta.verbose_name))
        super().save_model(request, obj, form, change)

    def _refused(self, request, exc):
        self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except StaleEdit as exc:  # the transaction was rolled back whole
            return self._refused(request, exc)

    def changelist_view(self, request, *args, **kwargs):
        try:
            return super().changelist_view(request, *args, **kwargs)
        except StaleEdit as exc:
            return self._refused(request, exc)
