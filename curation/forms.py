"""Forms for the curator's writes. They only parse input; the services decide and record."""

import json

from django import forms

from curation.params import BIGINT_MAX, parse_id
from curation.services.editorial import ACTION_LABELS, MAX_BULK_ITEMS
from curation.validation import has_lone_surrogate


class StrictJSONField(forms.JSONField):
    """forms.JSONField for untrusted text: JSON nested past Python's recursion limit, a
    number of thousands of digits (past int()'s limit) or a lone surrogate escape ("\\ud800",
    which no page can show again and no database stores) is a form error, not a 500. Such
    input is shown back as typed."""

    default_error_messages = {
        "unreadable": "This JSON cannot be read: it nests too deeply, holds a number too long, "
        "or a \\u escape that is not a whole character (a lone surrogate).",
    }

    def _load(self, text):
        """(value, problem): problem None, "json" (Django's own message says it), or "unreadable"."""
        try:
            value = json.loads(text, cls=self.decoder)
        except json.JSONDecodeError:
            return None, "json"
        except (RecursionError, ValueError):
            return None, "unreadable"
        return value, "unreadable" if _any_lone_surrogate(value) else None

    def to_python(self, value):
        if not self.disabled and isinstance(value, str) and not isinstance(value, forms.fields.InvalidJSONInput):
            if value not in self.empty_values and self._load(value)[1] == "unreadable":
                raise forms.ValidationError(self.error_messages["unreadable"], code="unreadable")
        return super().to_python(value)

    def bound_data(self, data, initial):
        if not self.disabled and isinstance(data, str) and not isinstance(data, forms.fields.InvalidJSONInput):
            if self._load(data)[1] == "unreadable":
                return forms.fields.InvalidJSONInput(data)
        return super().bound_data(data, initial)


def _any_lone_surrogate(value):
    """Whether any string in a loaded JSON value (keys too) holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def split_topics(text):
    """ "Science, Climate change" -> ["Science", "Climate change"] (blanks and repeats dropped)."""
    names = [name.strip() for name in (text or "").replace("\n", ",").split(",")]
    return list(dict.fromkeys(name for name in names if name))


class VersionedForm(forms.Form):
    # The version the editor's page showed: the service refuses the write if it moved on.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=BIGINT_MAX, required=False)


class TransitionForm(VersionedForm):
    reason_code = forms.CharField(required=False, max_length=40, label="Reason")
    reason = forms.CharField(required=False, max_length=2000, label="Note")


TOPICS_HELP = "Existing topics, separated by commas: type a few letters to pick one."


def topics_widget():
    # static/js/topics.js fills the datalist from /curate/lookup/topics/ as the editor types.
    return forms.TextInput(attrs={"list": "topic-names", "autocomplete": "off", "data-topic-lookup": "", "class": "wide"})


class CreateTopicsField(forms.MultipleChoiceField):
    """The new topic names the editor ticked to create: offered after a save named topics
    that do not exist yet (the choices are set then); any name is accepted back."""

    widget = forms.CheckboxSelectMultiple

    def valid_value(self, value):
        return True

    def clean(self, value):
        return [name for name in super().clean(value) if str(name).strip()]


class TopicsMixin(forms.Form):
    create_topics = CreateTopicsField(required=False, label="Create new topics")

    def clean_topics(self):
        return split_topics(self.cleaned_data["topics"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and hasattr(self.data, "getlist"):
            self.offer_to_create(self.data.getlist("create_topics"))  # keep what was ticked in view

    def offer_to_create(self, names):
        """After UnknownTopics: a checkbox per new name, so creating one is a deliberate step."""
        self.fields["create_topics"].choices = [(name, f"Create the topic “{name}”") for name in names]


def open_at(form, default):
    """Give the first field the form refused, else `default`, the page's focus (autofocus):
    on a page that is only the form, a keyboard editor Tabbed past the site's links to it,
    and after a refusal again, to find the field the error is about."""
    name = next((name for name in form.fields if name in form.errors), default)
    form.fields[name].widget.attrs["autofocus"] = True
    return form


class EditForm(TopicsMixin, VersionedForm):
    title = forms.CharField(max_length=2000, widget=forms.TextInput(attrs={"class": "wide"}))
    excerpt = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5, "class": "wide"}),
        help_text="The summary shown under the title in lists and feeds.",
    )
    topics = forms.CharField(required=False, max_length=5000, help_text=TOPICS_HELP, widget=topics_widget())
    field_order = ["title", "excerpt", "topics", "create_topics"]


class CompleteForm(TopicsMixin, VersionedForm):
    title = forms.CharField(max_length=2000, widget=forms.TextInput(attrs={"size": 80}))
    web_url = forms.CharField(
        required=False, max_length=2000, label="Source URL", widget=forms.URLInput(attrs={"size": 80})
    )
    excerpt = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.CharField(required=False, max_length=100)
    provider_name = forms.CharField(required=False, max_length=200, label="Provider name")
    provider_domain = forms.CharField(required=False, max_length=253, label="Provider domain")
    # Required to publish, which the service decides (one rule with publishing); here it
    # is only parsed, so a missing date is reported beside the field like the others.
    published_at = forms.DateTimeField(
        required=False,
        label="Publication date",
        help_text="When the source published it (your time zone).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    topics = forms.CharField(required=False, max_length=5000, help_text=TOPICS_HELP, widget=topics_widget())
    field_order = [
        "title", "web_url", "excerpt", "category", "provider_name", "provider_domain", "published_at", "topics",
        "create_topics",
    ]


class AttachForm(VersionedForm):
    """The target is either picked from the suggestions (`target`) or typed (`target_id`)."""

    target = forms.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False, widget=forms.RadioSelect)
    target_id = forms.IntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        label="Article id",
        help_text="The id of the article that should receive this body.",
    )

    def clean(self):
        data = super().clean()
        chosen = data.get("target_id") or data.get("target")
        if not chosen and not self.errors:
            raise forms.ValidationError("Pick a suggested article or type an article id.")
        data["target"] = chosen
        return data


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, label) for key, label in ACTION_LABELS.items()])
    ids = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": "Select at least one item."}
    )
    reason_code = forms.CharField(required=False, max_length=40)
    reason = forms.CharField(required=False, max_length=2000)
    # The key the bar was drawn with (services.bulk.start_run): a second click sends it again.
    submission = forms.CharField(required=False, max_length=64)

    MAX_ITEMS = MAX_BULK_ITEMS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id a database can hold is acceptable: the service reports ids that do not exist.
        self.fields["ids"].valid_value = lambda value: parse_id(str(value)) is not None

    def clean_ids(self):
        ids = list(dict.fromkeys(self.cleaned_data["ids"] or []))
        if len(ids) > self.MAX_ITEMS:
            raise forms.ValidationError(f"At most {self.MAX_ITEMS} items at once.")
        return ids


def add_refusal_errors(form, refusal):
    """Put a service's `InvalidEdit` errors ({field: message}) on the form that was sent: on
    the field where the form has it, else at the top of the form. Unknown topic names also
    get the form's "create the topic" step."""
    if hasattr(refusal, "names") and hasattr(form, "offer_to_create"):  # editorial.UnknownTopics
        form.offer_to_create(refusal.names)
    for name, message in refusal.errors.items():
        form.add_error(name if name in form.fields else None, message)


class BulkMatchingForm(BulkActionForm):
    """The bulk bar with "all matching": the filter's querystring instead of ticked ids."""

    query = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].required = False
