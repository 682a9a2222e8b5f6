"""How editors read the sources' scores: unknown heat, and quality bands."""

from dataclasses import dataclass

from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

# Used by filters and the admin: an unknown heat is stored as -1, as the source says.
HEAT_UNKNOWN = -1
# Written as COALESCE(heat, -1) = -1 rather than `heat = -1 OR heat IS NULL`: with the OR,
# SQLite and PostgreSQL collect every unknown-heat row (half the table) through the heat
# index and sort them; this form is checked row by row while the page's sort index is
# walked, which stops after a page. Same rows either way.
HEAT_UNKNOWN_Q = Q(Exact(Coalesce("heat", Value(HEAT_UNKNOWN)), HEAT_UNKNOWN))


@dataclass(frozen=True)
class ScoreBand:
    """A range of a score that editors read as one grade (low <= value < high)."""

    key: str
    label: str
    low: int | None
    high: int | None

    def condition(self, field="quality"):
        condition = Q()
        if self.low is not None:
            condition &= Q(**{f"{field}__gte": self.low})
        if self.high is not None:
            condition &= Q(**{f"{field}__lt": self.high})
        return condition

    def contains(self, value):
        return (
            value is not None and (self.low is None or value >= self.low) and (self.high is None or value < self.high)
        )


# Quality has been seen from 0 to 189; these bands cut it where editors read it. The admin's
# filter, the queue's score bars and the statistics all use them.
QUALITY_BANDS = (
    ScoreBand("low", "Low (below 25)", None, 25),
    ScoreBand("fair", "Fair (25–49)", 25, 50),
    ScoreBand("good", "Good (50–74)", 50, 75),
    ScoreBand("high", "High (75–99)", 75, 100),
    ScoreBand("top", "Top (100 and above)", 100, None),
)

# Heat runs from 0 to 100 where the source knows it (HEAT_UNKNOWN otherwise, in no band).
# The queue's heat bars use these, as the quality bars use QUALITY_BANDS.
HEAT_BANDS = (
    ScoreBand("cold", "Cold (below 10)", 0, 10),
    ScoreBand("mild", "Mild (10–29)", 10, 30),
    ScoreBand("warm", "Warm (30–59)", 30, 60),
    ScoreBand("hot", "Hot (60–79)", 60, 80),
    ScoreBand("top", "Very hot (80 and above)", 80, None),
)
# The statistics count an unknown heat as a band of its own, so that it is never read as a
# cold item.
HEAT_UNKNOWN_BAND = ScoreBand("unknown", "Unknown (-1)", None, 0)
HEAT_CALIBRATION_BANDS = (HEAT_UNKNOWN_BAND, *HEAT_BANDS)
