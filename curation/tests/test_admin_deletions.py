"""Admin deletions change no article behind the editors' backs. A topic that articles
carry is not deleted (that would take it off every one of them with no audit row, no new
version and no mark that an editor changed its topics, so the next import puts it back); a rule's flag is history, cleared by an editor in the
curator, not deleted here."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from curation.models import Article, ArticleFlag, Topic
from curation.services.rule_actions import flag_source_change
from curation.tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db


def test_a_topic_articles_carry_cannot_be_deleted_from_its_page(superuser_admin):
    topic = make_topic(name="Glaciers")
    article = make_article(topics=[topic])
    url = reverse("admin:curation_topic_delete", args=[topic.pk])
    page = superuser_admin.get(reverse("admin:curation_topic_change", args=[topic.pk])).content.decode()
    assert url not in page  # no "Delete" button offered
    assert superuser_admin.post(url, {"post": "yes"}).status_code == 403
    assert list(Article.objects.get(pk=article.pk).topics.all()) == [topic]


def test_a_topic_articles_carry_is_not_deleted_by_the_bulk_action(superuser_admin):
    used, unused = make_topic(name="Glaciers"), make_topic(name="Glacers (typo)")
    article = make_article(topics=[used])
    changelist = reverse("admin:curation_topic_changelist")
    superuser_admin.post(
        changelist, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [used.pk, unused.pk], "post": "yes"}
    )
    assert Topic.objects.filter(pk=used.pk).exists()
    assert list(Article.objects.get(pk=article.pk).topics.all()) == [used]


def test_a_topic_no_article_carries_can_still_be_deleted(superuser_admin):
    unused = make_topic(name="Glacers (typo)")
    response = superuser_admin.post(reverse("admin:curation_topic_delete", args=[unused.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Topic.objects.filter(pk=unused.pk).exists()


def test_a_flag_is_history_the_admin_cannot_delete(superuser_admin):
    # Deleting the row cleared nothing (the article stays flagged in the queue) and lost
    # the record with no audit row; clearing is the curator's audited "Clear flag".
    article = make_article()
    flag_source_change(article.pk, rule_name="Publish the best", rule_version=1)
    flag = ArticleFlag.objects.get(article=article)
    superuser_admin.post(reverse("admin:curation_articleflag_delete", args=[flag.pk]), {"post": "yes"})
    superuser_admin.post(
        reverse("admin:curation_articleflag_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [flag.pk], "post": "yes"},
    )
    assert ArticleFlag.objects.filter(pk=flag.pk).exists()
    page = superuser_admin.get(reverse("admin:curation_articleflag_changelist")).content.decode()
    assert "delete_selected" not in page
