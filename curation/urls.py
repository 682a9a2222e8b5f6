"""Curator workspace URLs (namespace `curation`)."""

from django.urls import path, register_converter

from curation.views import actions, article, bulk, lookups, queue, rules, scheduling, source, stats, stories


class TransitionConverter:
    regex = "publish|unpublish|reject|restore"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(TransitionConverter, "transition")

app_name = "curation"

urlpatterns = [
    path("", stories.queue, name="queue"),  # by item or by story, as the editor chose
    path("queue-by/", stories.queue_mode, name="queue-mode"),
    path("stories/<int:pk>/publish/", stories.story_publish, name="story-publish"),
    path("articles/<int:pk>/story/<str:act>/", stories.story_act, name="story-act"),
    path("articles/<int:pk>/complete-from-entry/", stories.complete_from_entry, name="complete-from-entry"),
    path("stats/", stats.StatsView.as_view(), name="stats"),
    path("stats/data.json", stats.StatsDataView.as_view(), name="stats-data"),
    path("stats/export.csv", stats.StatsExportView.as_view(), name="stats-export"),
    path("bulk/", bulk.bulk_action, name="bulk-action"),
    path("bulk/<str:token>/continue/", bulk.bulk_continue, name="bulk-continue"),
    path("bulk/<str:token>/undo/", bulk.bulk_undo, name="bulk-undo"),
    path("density/", queue.set_density, name="density"),
    path("count/", queue.match_count, name="match-count"),
    path("lookup/providers/", lookups.providers, name="lookup-providers"),
    path("lookup/topics/", lookups.topics, name="lookup-topics"),
    path("articles/<int:pk>/", article.ArticleDetailView.as_view(), name="article-detail"),
    path("articles/<int:pk>/edit/", article.article_edit, name="article-edit"),
    path("articles/<int:pk>/complete/", article.article_complete, name="article-complete"),
    path("articles/<int:pk>/attach/", article.article_attach, name="article-attach"),
    path("articles/<int:pk>/source/<slug:field>/", source.take_source_value, name="article-take-source"),
    path("articles/<int:pk>/source-reviewed/", source.source_reviewed, name="article-source-reviewed"),
    path("articles/<int:pk>/<transition:action>/", actions.article_action, name="article-action"),
    path("articles/<int:pk>/schedule/", scheduling.article_schedule, name="article-schedule"),
    path("articles/<int:pk>/unschedule/", scheduling.article_unschedule, name="article-unschedule"),
    path("articles/<int:pk>/embargo/", scheduling.article_embargo, name="article-embargo"),
    path("articles/<int:pk>/lift-embargo/", scheduling.article_lift_embargo, name="article-lift-embargo"),
    path("articles/<int:pk>/clear-flag/", rules.article_clear_flag, name="article-clear-flag"),
    path("rules/", rules.rule_list, name="rule-list"),
    path("rules/new/", rules.rule_form, name="rule-new"),
    path("rules/<int:pk>/", rules.rule_form, name="rule-edit"),
    path("rules/<int:pk>/toggle/", rules.rule_toggle, name="rule-toggle"),
    path("rules/<int:pk>/move/<str:direction>/", rules.rule_move, name="rule-move"),
]
