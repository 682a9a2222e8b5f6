"""Stories: gather every outlet's coverage of one event. The algorithmic core, with no
Django imports, so parse workers, commands and benchmarks can all use it.

    features = item_features(StoryItem(key=..., title=..., url=..., published=...))
    blob = features.to_blob()                # stored; ItemFeatures.from_blob(blob, ...) reads it back
    index = StoryIndex()
    update = index.add([features, ...])      # incremental: cost follows the new items
    index.constrain(cannot=[(a, b)])         # an editor's "not the same story"
    index.stories()                          # [Story(members, lead, capped), ...]
"""

from curation.stories.clustering import DEFAULT_CAP, Story, choose_lead, cluster_component
from curation.stories.features import FEATURES_VERSION, ItemFeatures, StoryItem, item_features
from curation.stories.index import StoryIndex, Update
from curation.stories.scoring import Evidence, ScoringConfig, score_pair
from curation.stories.urls import canonical_url, url_aliases

__all__ = [
    "DEFAULT_CAP",
    "FEATURES_VERSION",
    "Evidence",
    "ItemFeatures",
    "ScoringConfig",
    "Story",
    "StoryIndex",
    "StoryItem",
    "Update",
    "canonical_url",
    "choose_lead",
    "cluster_component",
    "item_features",
    "score_pair",
    "url_aliases",
]
