"""Curator workspace URLs (namespace `curation`)."""

from django.urls import path, register_converter

from curation.views import actions, article, lookup, queue, scheduling, source


class TransitionConverter:
    regex = "publish|unpublish|reject|restore"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(TransitionConverter, "transition")

app_name = "curation"

urlpatterns = [
    path("", queue.QueueView.as_view(), name="queue"),
    path("bulk/", queue.bulk_action, name="bulk-action"),
    path("lookup/topics/", lookup.topics, name="lookup-topics"),
    path("lookup/providers/", lookup.providers, name="lookup-providers"),
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
]
