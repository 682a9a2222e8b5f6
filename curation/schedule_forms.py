"""Forms for the schedule (go-live, expiry, embargo, bulk). They parse what editors type into
instants (curation.localtime) and leave every rule to curation.services.scheduling.

Times come from `<input type="datetime-local" step="1">` (seconds accepted, no zone) and are
read in the zone of the `time_zone` field; a script may instead send a time with its UTC
offset. The zone is the editor's: the one they used last (kept in their session), else
their browser's (static/js/schedule.js picks it), else the site's DJANGO_TIME_ZONE.
"""

import datetime as dt
import functools

from django import forms
from django.conf import settings

from curation.localtime import LocalTimeError, input_value, is_zone, parse_input, to_instant, zone_names
from curation.services.editorial import MAX_BULK_ITEMS

SESSION_ZONE = "curation_time_zone"


def editor_zone(request):
    """(zone name, whether the editor chose it): their last choice, else the site's zone."""
    chosen = request.session.get(SESSION_ZONE) if hasattr(request, "session") else None
    if is_zone(chosen):
        return chosen, True
    return (settings.TIME_ZONE if is_zone(settings.TIME_ZONE) else "UTC"), False


def remember_zone(request, name):
    if is_zone(name):
        request.session[SESSION_ZONE] = name


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": "1", **(attrs or {})}, format="%Y-%m-%dT%H:%M:%S")


class LocalDateTimeField(forms.Field):
    """A date and time as typed: naive (read in the form's zone) or with an offset."""

    widget = LocalDateTimeInput

    def to_python(self, value):
        try:
            return parse_input(value)
        except LocalTimeError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


@functools.cache
def zone_choices():
    return [(name, name.replace("_", " ")) for name in zone_names()]


class ZoneField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            # A callable: every form instance deep-copies its fields, and a copied list of
            # hundreds of zones is most of what the queue's bulk bar costs to build.
            choices=zone_choices,
            required=False,
            label="Time zone",
            help_text="The times above are in this zone.",
            **kwargs,
        )


class ZonedForm(forms.Form):
    """Turns its LocalDateTimeFields into aware datetimes in `clean()`."""

    time_zone = ZoneField()

    def clean(self):
        data = super().clean()
        zone = data.get("time_zone") or ""
        for name, field in self.fields.items():
            if isinstance(field, LocalDateTimeField) and data.get(name) is not None:
                try:
                    data[name] = to_instant(data[name], zone)
                except LocalTimeError as exc:
                    self.add_error(name, str(exc))
        return data

    @classmethod
    def initial_for(cls, zone, **times):
        """Initial values: each aware time as the datetime-local field shows it in `zone`."""
        return {"time_zone": zone, **{name: input_value(value, zone) for name, value in times.items()}}


class ScheduleForm(ZonedForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    go_live_at = LocalDateTimeField(
        required=False, label="Go live at", help_text="Leave empty to go live now. Seconds are accepted."
    )
    expire_at = LocalDateTimeField(required=False, label="Expire at", help_text="Optional: taken down at this time.")
    time_zone = ZoneField()

    field_order = ["go_live_at", "expire_at", "time_zone", "expected_version"]


class EmbargoForm(ZonedForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    embargo_until = LocalDateTimeField(
        label="Embargo until", help_text="No reader sees it anywhere before this time, whoever publishes it."
    )
    time_zone = ZoneField()

    field_order = ["embargo_until", "time_zone", "expected_version"]


class BulkIdsField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(coerce=int, choices=(), error_messages={"required": "Select at least one item."}, **kwargs)

    def valid_value(self, value):
        # Any positive id: the service reports ids that do not exist.
        return str(value).isdigit() and len(str(value)) < 19


class BulkUnscheduleForm(forms.Form):
    ids = BulkIdsField()
    # The key the bar was drawn with (services.bulk.use_submission): a second click sends it again.
    # Hidden: the bar carries it (article_filter.html). As a visible field the schedule options
    # drew a text box "Submission", and the bar sent the key twice, the box's "" last.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_ids(self):
        ids = list(dict.fromkeys(self.cleaned_data["ids"]))
        if len(ids) > MAX_BULK_ITEMS:
            raise forms.ValidationError(f"At most {MAX_BULK_ITEMS} items at once.")
        return ids


class ScheduleSeriesForm(ZonedForm):
    """A series of go-live times: the first at `go_live_at`, each next one `interval_minutes`
    later (the admin's "Schedule selected articles" uses it as it is)."""

    go_live_at = LocalDateTimeField(label="First goes live at", help_text="Seconds are accepted.")
    interval_minutes = forms.IntegerField(
        label="Then one every (minutes)", min_value=0, max_value=7 * 24 * 60, initial=5, required=False
    )
    expire_at = LocalDateTimeField(required=False, label="All expire at", help_text="Optional.")
    time_zone = ZoneField()

    field_order = ["go_live_at", "interval_minutes", "expire_at", "time_zone"]

    def clean_interval_minutes(self):
        minutes = self.cleaned_data.get("interval_minutes")
        return dt.timedelta(minutes=minutes or 0)


class BulkScheduleForm(BulkUnscheduleForm, ScheduleSeriesForm):
    """The queue's bulk scheduling: the selected items in the order shown."""

    field_order = ["ids", *ScheduleSeriesForm.field_order]
