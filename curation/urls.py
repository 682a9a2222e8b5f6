"""Curator workspace URLs (namespace `curation`)."""

from django.urls import include, path, register_converter

from curation.views import actions, article, bulk, lookups, queue, rules, scheduling, source, stats, stories


class TransitionConverter:
    regex = "publish|unpublish|reject|restore"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(TransitionConverter, "transition")

app_name = "curation"

# The acts on one article that take nothing but the form: POST articles/<pk>/<act>/, named
# "article-<act>".
ARTICLE_ACTS = {
    "edit": article.article_edit,
    "complete": article.article_complete,
    "attach": article.article_attach,
    "source-reviewed": source.source_reviewed,
    "schedule": scheduling.article_schedule,
    "unschedule": scheduling.article_unschedule,
    "embargo": scheduling.article_embargo,
    "lift-embargo": scheduling.article_lift_embargo,
    "clear-flag": rules.article_clear_flag,
}

urlpatterns = [
    path("", stories.queue, name="queue"),  # by item or by story, as the editor chose
    path("queue-by/", stories.queue_mode, name="queue-mode"),
    path("density/", queue.set_density, name="density"),
    path("count/", queue.match_count, name="match-count"),
    path("stories/<int:pk>/publish/", stories.story_publish, name="story-publish"),
    path("articles/<int:pk>/", include([
        path("", article.ArticleDetailView.as_view(), name="article-detail"),
        path("source/<slug:field>/", source.take_source_value, name="article-take-source"),
        path("<transition:action>/", actions.article_action, name="article-action"),
        path("story/<str:act>/", stories.story_act, name="story-act"),
        path("complete-from-entry/", stories.complete_from_entry, name="complete-from-entry"),
        *(path(f"{act}/", view, name=f"article-{act}") for act, view in ARTICLE_ACTS.items()),
    ])),
    path("lookup/", include([
        path("providers/", lookups.providers, name="lookup-providers"),
        path("topics/", lookups.topics, name="lookup-topics"),
    ])),
    path("bulk/", include([
        path("", bulk.bulk_action, name="bulk-action"),
        path("<str:token>/continue/", bulk.bulk_continue, name="bulk-continue"),
        path("<str:token>/undo/", bulk.bulk_undo, name="bulk-undo"),
    ])),
    path("stats/", include([
        path("", stats.StatsView.as_view(), name="stats"),
        path("data.json", stats.StatsDataView.as_view(), name="stats-data"),
        path("export.csv", stats.StatsExportView.as_view(), name="stats-export"),
    ])),
    path("rules/", include([
        path("", rules.rule_list, name="rule-list"),
        path("new/", rules.rule_form, name="rule-new"),
        path("<int:pk>/", rules.rule_form, name="rule-edit"),
        path("<int:pk>/toggle/", rules.rule_toggle, name="rule-toggle"),
        path("<int:pk>/move/<str:direction>/", rules.rule_move, name="rule-move"),
    ])),
]
