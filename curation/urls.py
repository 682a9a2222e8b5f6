"""Curator workspace URLs (namespace `curation`)."""

from django.urls import path

from curation.views import curator

app_name = "curation"

urlpatterns = [
    path("", curator.QueueView.as_view(), name="queue"),
    path("articles/<int:pk>/", curator.ArticleDetailView.as_view(), name="article-detail"),
]
