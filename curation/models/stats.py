"""The statistics rollup: per-day counts kept current from the append-only logs.

The audit log (`EditorialAction`) and the import ledger (`ImportLedgerEntry`) only grow, so
their figures per day are counted once, incrementally: `curation.services.stats_rollup`
reads the rows after a watermark (the last id it counted), adds them to `StatsCount`, and
moves the watermark, in one transaction per chunk. Reading a chart over ten years then sums a
few thousand rollup rows instead of millions of log rows.

Days are days in the display time zone (settings.STATS_TIME_ZONE); the watermark remembers the
zone it counted in, and a change of zone rebuilds the rollup.
"""

import zoneinfo

from django.conf import settings
from django.db import models


def display_zone():
    """The time zone whose days the statistics count (settings.STATS_TIME_ZONE)."""
    return zoneinfo.ZoneInfo(settings.STATS_TIME_ZONE)


KEY_MAX_LENGTH = 240


class StatsCount(models.Model):
    """How many of something (`metric`, `key`) happened on a day in the display time zone,
    or (period MONTH, `day` the month's first) in a whole month: a range of years reads its
    full months from the month rows and only its ragged ends from the day rows."""

    DAY, MONTH = "d", "m"

    metric = models.CharField(max_length=24)
    period = models.CharField(max_length=1, default=DAY)
    day = models.DateField()
    # The longest key is a rule's: its name (Rule.name, 200 characters) and ":disagree". A key
    # cut to fit lost its suffix (the page then failed reading it) and could become another
    # rule's (two such rows for one day broke the unique constraint and every refresh after).
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    value = models.BigIntegerField(default=0)

    class Meta:
        # The unique index is also how a chart reads its metric over a range of days.
        constraints = [
            models.UniqueConstraint(fields=["metric", "period", "day", "key"], name="statscount_unique_metric_day_key")
        ]

    def __str__(self):
        return f"{self.metric} {self.period}{self.day} {self.key}: {self.value}"


class StatsWatermark(models.Model):
    """How far the rollup has counted one log (`source`: "audit" or "ledger")."""

    source = models.CharField(max_length=16, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    time_zone = models.CharField(max_length=64, default="")
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.source} up to #{self.last_id} ({self.time_zone})"
