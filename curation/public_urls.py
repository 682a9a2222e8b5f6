"""Public reader-facing URLs (namespace `public`): pages, feeds and the API."""

from django.urls import path

from curation.views import public

app_name = "public"

urlpatterns = [
    path("", public.HomeView.as_view(), name="home"),
    path("topics/<str:slug>/", public.TopicView.as_view(), name="topic"),
]
