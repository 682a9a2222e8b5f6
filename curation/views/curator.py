"""Curator workspace views. Placeholder: the curator workspace issue fills this in."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, ListView

from curation.models import Article


class QueueView(LoginRequiredMixin, ListView):
    model = Article
    template_name = "curation/article_filter.html"
    paginate_by = 50


class ArticleDetailView(LoginRequiredMixin, DetailView):
    model = Article
