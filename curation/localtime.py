"""Times editors type, in their own time zone: parsing, daylight-saving changes, display.

An editor enters a wall-clock time (an `<input type="datetime-local">` has no zone) and the
zone it is in. Most wall-clock times name exactly one instant. Around a daylight-saving
change some name none (the clocks jump over them: 02:30 on the last Sunday of March in
Europe/Berlin) and some name two (the clocks go back: 02:30 on the last Sunday of October
happens twice). Both are refused with a message saying what to enter instead, never
guessed: a story published an hour early is not a small mistake.

A time that carries its own offset (`2026-03-29T07:00:00+02:00`, `…Z`), as a script may
send, names one instant already and is taken as it is.
"""

import datetime as dt
import zoneinfo
from functools import lru_cache

from django.utils.dateparse import parse_datetime

UTC_NAME = "UTC"
ONE_MINUTE = dt.timedelta(minutes=1)
MIN_YEAR, MAX_YEAR = 1900, 9998


class LocalTimeError(ValueError):
    """A time or zone that names no single instant; the message is meant for the editor."""


@lru_cache(maxsize=1)
def zone_names():
    """The IANA zone names offered to editors (Area/City, and UTC), sorted."""
    names = {name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))}
    return sorted(names | {UTC_NAME})


@lru_cache(maxsize=1)
def _known_zones():
    return frozenset(zone_names())


def is_zone(name):
    """Whether `name` is one of the offered zone names."""
    return name in _known_zones()


def get_zone(name):
    """The ZoneInfo for an offered zone name; LocalTimeError for anything else."""
    if not is_zone(name):
        raise LocalTimeError(f"“{str(name)[:60]}” is not a time zone this form knows (e.g. Europe/Berlin, UTC).")
    return zoneinfo.ZoneInfo(name)


def parse_input(text):
    """A datetime from what a form or script sent: naive for a wall-clock time
    (`2026-03-29T07:00`, seconds optional), aware when an offset is given. None for blank
    input; LocalTimeError for anything that is not a date and time."""
    text = (text or "").strip()
    if not text:
        return None
    example = "Enter a date and time such as 2026-03-29 07:00:00."
    if len(text) > 40:
        raise LocalTimeError(example)
    try:
        parsed = parse_datetime(text)
    except ValueError:  # well formed but impossible, e.g. month 13 or year 0
        raise LocalTimeError(f"“{text}” is not a real date and time. {example}") from None
    if parsed is None:
        raise LocalTimeError(example)
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        # Far from any schedule, and at the ends of Python's range a zone's offset would
        # carry the time out of it.
        raise LocalTimeError(f"Enter a year between {MIN_YEAR} and {MAX_YEAR}.")
    return parsed


def _exists(naive, zone):
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == naive


def make_aware(naive, zone):
    """The one instant a wall-clock time names in `zone`, or LocalTimeError (see the module)."""
    earlier, later = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier
    when = f"{naive:%Y-%m-%d %H:%M:%S}"
    if not _exists(naive, zone):
        start = naive.replace(second=0, microsecond=0)
        while not _exists(start - ONE_MINUTE, zone):
            start -= ONE_MINUTE
        end = naive.replace(second=0, microsecond=0) + ONE_MINUTE
        while not _exists(end, zone):
            end += ONE_MINUTE
        raise LocalTimeError(
            f"{when} does not exist in {zone.key}: that night the clocks jump from {start:%H:%M} to {end:%H:%M}. "
            f"Enter a time before {start:%H:%M} or from {end:%H:%M}."
        )
    first, second = earlier.astimezone(dt.UTC), later.astimezone(dt.UTC)
    raise LocalTimeError(
        f"{when} happens twice in {zone.key} (the clocks go back that night): first at {offset_text(earlier)} "
        f"({first:%H:%M:%S} UTC), then at {offset_text(later)} ({second:%H:%M:%S} UTC). "
        f"Choose UTC as the time zone and enter the one you mean."
    )


def to_instant(value, zone_name):
    """An aware datetime from a parsed input: a naive one is read in `zone_name` (which is
    then required), an aware one is kept. None stays None."""
    if value is None or value.tzinfo is not None:
        return value
    if not zone_name:
        raise LocalTimeError("Say which time zone this time is in (or give it with a UTC offset).")
    return make_aware(value, get_zone(zone_name))


def offset_text(value):
    offset = value.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def input_value(value, zone_name):
    """`value` as a `datetime-local` field shows it in `zone_name` ("" for None)."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(zone_name)).strftime("%Y-%m-%dT%H:%M:%S")


def describe(value, zone_name):
    """"2026-03-29 07:00:00 CEST (Europe/Berlin) · 05:00:00 UTC": the editor's wall clock,
    and UTC beside it (with its date when that differs)."""
    in_utc = value.astimezone(dt.UTC)
    if zone_name in (UTC_NAME, None, ""):
        return f"{in_utc:%Y-%m-%d %H:%M:%S} UTC"
    local = value.astimezone(zoneinfo.ZoneInfo(zone_name))
    utc_text = f"{in_utc:%H:%M:%S}" if in_utc.date() == local.date() else f"{in_utc:%Y-%m-%d %H:%M:%S}"
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({zone_name}) · {utc_text} UTC"
