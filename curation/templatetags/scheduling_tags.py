"""The schedule panel of the article page and the queue's bulk scheduling controls.

Inclusion tags, so the curator views need not know about the schedule: each reads the
article, the user's permissions and the editor's time zone from the template context.
A view that re-renders the page after a form error puts the bound form in the context as
`schedule_form` / `embargo_form`, and the panel shows it as typed.
"""

from django import template
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from curation.localtime import describe
from curation.models import ArticleState, ScheduleStatus
from curation.schedule_forms import BulkScheduleForm, EmbargoForm, ScheduleForm, editor_zone
from curation.services.scheduling import COMPLETE_FIRST, SCHEDULE_FORM, can_embargo, can_schedule, schedule_offer
from curation.views.common import BULK_SCHEDULE_FIELDS

register = template.Library()


@register.filter
def zoned(value, zone):
    """A time in the editor's zone with UTC beside it ("–" for none)."""
    return describe(value, zone) if value else "–"


@register.inclusion_tag("curation/_schedule.html", takes_context=True)
def schedule_panel(context, article):
    request = context["request"]
    user = request.user
    now = timezone.now()
    zone, zone_chosen = editor_zone(request)
    status = article.schedule_status(now)
    schedule_form = context.get("schedule_form")
    if schedule_form is None:
        upcoming = article.live_from if status == ScheduleStatus.SCHEDULED else None
        schedule_form = ScheduleForm(
            initial={
                **ScheduleForm.initial_for(zone, go_live_at=upcoming, expire_at=article.live_until),
                "expected_version": article.version,
            },
            auto_id="schedule_%s",
        )
    if article.state != ArticleState.PUBLISHED:
        # Not published yet: an empty go-live time is refused (Publish is for "now"). A refused
        # form's bound field was made before and keeps its own copy of the words: it said
        # "Leave empty to go live now" above the refusal of an empty time.
        not_yet = "When readers first see it. Seconds are accepted."
        schedule_form.fields["go_live_at"].help_text = not_yet
        schedule_form["go_live_at"].help_text = not_yet
    embargo_form = context.get("embargo_form") or EmbargoForm(
        initial={**EmbargoForm.initial_for(zone), "expected_version": article.version}, auto_id="embargo_%s"
    )
    status_key, status_label = article.status(now)
    offer = schedule_offer(article=article, user=user)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "article": article,
        "now": now,
        "zone": zone,
        "zone_chosen": zone_chosen,
        "status_key": status_key,
        "status_label": status_label,
        "is_scheduled": status == ScheduleStatus.SCHEDULED,
        "is_published": article.state == ArticleState.PUBLISHED,
        "under_embargo": article.is_under_embargo(now),
        "held_until": article.goes_live_at if status == ScheduleStatus.SCHEDULED else None,
        "can_schedule": offer is not None,
        "schedule_form_offered": offer == SCHEDULE_FORM,
        "complete_first": offer == COMPLETE_FIRST,
        "can_embargo": can_embargo(user) and article.state != ArticleState.MERGED,
        "schedule_form": schedule_form,
        "embargo_form": embargo_form,
        "next_url": context.get("this_url", ""),
    }


def refused_schedule_form(kept, zone):
    """The bulk schedule's fields after a refusal about one of them: as the editor typed them,
    that one focused, marked invalid and described by the refusal (the queue's #bulk-refusal)."""
    values = {name: kept.get(name, "") for name in BULK_SCHEDULE_FIELDS}
    form = BulkScheduleForm(initial={"time_zone": zone, **{k: v for k, v in values.items() if v}}, auto_id="bulk_%s")
    form.fields[kept["field"]].widget.attrs.update(
        {"autofocus": True, "aria-invalid": "true", "aria-describedby": "bulk-refusal"}
    )
    return form


@register.inclusion_tag("curation/_bulk_schedule.html", takes_context=True)
def bulk_schedule_controls(context):
    request = context["request"]
    zone, zone_chosen = editor_zone(request)
    kept = context.get("kept_bulk") or {}
    if kept.get("field") in BULK_SCHEDULE_FIELDS:
        # Drawn for this page alone (not the cached fields), open, with what was typed.
        return {
            "request": request,
            "can_schedule": can_schedule(request.user),
            "form": refused_schedule_form(kept, zone),
            "refused": True,
            "refused_field": kept["field"],
            "refusal": kept.get("error", ""),
            "zone": zone,
            "zone_chosen": True,
        }
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "can_schedule": can_schedule(request.user),
        # Built only when the template's cached fields are missing (_bulk_schedule.html).
        "form": SimpleLazyObject(
            lambda: BulkScheduleForm(initial=BulkScheduleForm.initial_for(zone), auto_id="bulk_%s")
        ),
        "zone": zone,
        "zone_chosen": zone_chosen,
    }
