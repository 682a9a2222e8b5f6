"""Public reader-facing URLs (namespace `public`): pages, feeds and the API."""

from django.urls import path

from curation.public import api, feeds
from curation.public import views as public

app_name = "public"

urlpatterns = [
    path("", public.home, name="home"),
    path("favicon.ico", public.favicon, name="favicon"),
    path("articles/<int:pk>/", public.article_detail, name="article"),
    path("articles/<int:pk>/<str:slug>/", public.article_detail, name="article-slug"),
    path("topics/<str:topic_slug>/", public.topic, name="topic"),
    path("feeds/rss/", feeds.rss_feed, name="feed-rss"),
    path("feeds/rss/topics/<str:topic_slug>/", feeds.rss_feed, name="feed-rss-topic"),
    path("feeds/atom/", feeds.atom_feed, name="feed-atom"),
    path("feeds/atom/topics/<str:topic_slug>/", feeds.atom_feed, name="feed-atom-topic"),
    path("feeds/json/", feeds.json_feed, name="feed-json"),
    path("feeds/json/topics/<str:topic_slug>/", feeds.json_feed, name="feed-json-topic"),
    path("api/articles/", api.article_list, name="api-articles"),
    path("api/articles/<int:pk>/", api.article_detail, name="api-article"),
]
