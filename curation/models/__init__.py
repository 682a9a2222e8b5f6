"""The curation data model, one module per part; import models from here (`curation.models`).

- `articles`: the article (imported data and editorial data side by side), its images and
  related coverage, and `live_condition`, the one rule of what readers may see;
- `taxonomy`: providers, topics and rejection reasons;
- `records`: import runs with their per-file ledger, and the editorial audit log;
- `scores`: how the sources' quality and heat scores are read (bands, unknown heat);
- `stories`: stories and the index that finds them;
- `stats`: the statistics' per-day rollup and its watermarks;
- `rules`: triage rules, their versions, the kill switch and flags.
"""

from curation.models.articles import (
    CLOCK_STATUSES,
    STATUS_CHOICES,
    Article,
    ArticleImage,
    ArticleQuerySet,
    ArticleState,
    RelatedCoverage,
    RelatedCoverageQuerySet,
    ScheduleStatus,
    live_condition,
)
from curation.models.records import (
    EditorialAction,
    ImportLedgerEntry,
    ImportLedgerEntryQuerySet,
    ImportRun,
    ImportStatus,
)
from curation.models.rules import ArticleFlag, Rule, RulesSwitch, RuleVersion
from curation.models.scores import (
    HEAT_BANDS,
    HEAT_CALIBRATION_BANDS,
    HEAT_UNKNOWN,
    HEAT_UNKNOWN_BAND,
    HEAT_UNKNOWN_Q,
    QUALITY_BANDS,
    ScoreBand,
)
from curation.models.stats import StatsCount, StatsWatermark
from curation.models.stories import Story, StoryDecision, StoryEdge, StoryFeatures, StoryKey
from curation.models.taxonomy import (
    Provider,
    ProviderAlias,
    RejectionReason,
    RejectionReasonQuerySet,
    Topic,
    TopicAlias,
)

__all__ = [
    "CLOCK_STATUSES",
    "STATUS_CHOICES",
    "HEAT_BANDS",
    "HEAT_CALIBRATION_BANDS",
    "HEAT_UNKNOWN_BAND",
    "HEAT_UNKNOWN",
    "HEAT_UNKNOWN_Q",
    "QUALITY_BANDS",
    "Article",
    "ArticleFlag",
    "ArticleImage",
    "ArticleQuerySet",
    "ArticleState",
    "EditorialAction",
    "ImportLedgerEntry",
    "ImportLedgerEntryQuerySet",
    "ImportRun",
    "ImportStatus",
    "Provider",
    "ProviderAlias",
    "RejectionReason",
    "RejectionReasonQuerySet",
    "RelatedCoverage",
    "Rule",
    "RuleVersion",
    "RulesSwitch",
    "RelatedCoverageQuerySet",
    "ScheduleStatus",
    "ScoreBand",
    "StatsCount",
    "StatsWatermark",
    "Story",
    "StoryDecision",
    "StoryEdge",
    "StoryFeatures",
    "StoryKey",
    "Topic",
    "TopicAlias",
    "live_condition",
]
