"""Forms for the curator's writes. They only parse input; the services decide and record."""

from django import forms

from curation.params import BIGINT_MAX, parse_id
from curation.services.editorial import ACTION_LABELS, MAX_BULK_ITEMS


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


class EditForm(VersionedForm):
    title = forms.CharField(max_length=2000, widget=forms.TextInput(attrs={"size": 80}))
    excerpt = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))
    topics = forms.CharField(
        required=False,
        max_length=5000,
        help_text="Comma-separated topic names.",
        widget=forms.TextInput(attrs={"size": 80, "list": "topic-names"}),
    )

    def clean_topics(self):
        return split_topics(self.cleaned_data["topics"])


class CompleteForm(VersionedForm):
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
    topics = forms.CharField(
        required=False,
        max_length=5000,
        help_text="Comma-separated topic names.",
        widget=forms.TextInput(attrs={"size": 80, "list": "topic-names"}),
    )

    def clean_topics(self):
        return split_topics(self.cleaned_data["topics"])


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
    the field where the form has it, else at the top of the form."""
    for name, message in refusal.errors.items():
        form.add_error(name if name in form.fields else None, message)


class BulkMatchingForm(BulkActionForm):
    """The bulk bar with "all matching": the filter's querystring instead of ticked ids."""

    query = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].required = False
