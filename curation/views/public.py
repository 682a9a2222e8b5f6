"""Public pages. Placeholder: the public output issue fills this in."""

from django.views.generic import ListView

from curation.models import Article, Topic


class HomeView(ListView):
    template_name = "public/home.html"
    paginate_by = 20

    def get_queryset(self):
        return Article.objects.published().with_listing_relations()


class TopicView(ListView):
    model = Topic
