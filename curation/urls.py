"""Curator workspace URLs (namespace `curation`)."""

from django.urls import path, register_converter

from curation.views import actions, article, queue, rules, scheduling


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
    path("articles/<int:pk>/", article.ArticleDetailView.as_view(), name="article-detail"),
    path("articles/<int:pk>/edit/", article.article_edit, name="article-edit"),
    path("articles/<int:pk>/complete/", article.article_complete, name="article-complete"),
    path("articles/<int:pk>/attach/", article.article_attach, name="article-attach"),
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
