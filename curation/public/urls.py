"""Public reader-facing URLs (namespace `public`): pages, feeds and the API."""

from django.urls import path

from curation.public import api, feeds
from curation.public import views as public

app_name = "public"



def feed_paths(name, feed):
    """A feed format's two addresses: everything, and one topic."""
    return [
        path(f"feeds/{name}/", feed, name=f"feed-{name}"),
        path(f"feeds/{name}/topics/<str:topic_slug>/", feed, name=f"feed-{name}-topic"),
    ]


urlpatterns = [
    path("", public.home, name="home"),
    path("favicon.ico", public.favicon, name="favicon"),
    path("articles/<int:pk>/", public.article_detail, name="article"),
    path("articles/<int:pk>/<str:slug>/", public.article_detail, name="article-slug"),
    path("topics/<str:topic_slug>/", public.topic, name="topic"),
    *feed_paths("rss", feeds.rss_feed),
    *feed_paths("atom", feeds.atom_feed),
    *feed_paths("json", feeds.json_feed),
    path("api/articles/", api.article_list, name="api-articles"),
    path("api/articles/<int:pk>/", api.article_detail, name="api-article"),
]
