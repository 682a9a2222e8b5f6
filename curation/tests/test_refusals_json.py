"""A refusal (403) asked for as JSON is JSON: the reason, which the curator's scripts show.

As an HTML page, a bulk run over every match whose form had expired (a long idle, a log-out
in another tab) ended with "The bulk action stopped: reload the queue to see where it got
to", though nothing had run; a decision made in place said only "HTTP 403".
"""

import pytest
from django.test import Client

from curation.models import Article, ArticleState
from curation.tests.factories import make_article
from curation.views.errors import CSRF_REASON

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


@pytest.fixture
def strict_editor_client(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    return client


@pytest.mark.parametrize("path", ["/curate/bulk/", "/curate/articles/{pk}/publish/"])
def test_an_expired_form_sent_by_a_script_is_told_why_in_json(strict_editor_client, path):
    article = make_article()
    url = path.format(pk=article.pk)
    data = {"action": "publish", "scope": "matching", "expected_version": 1}
    response = strict_editor_client.post(url, data, headers=JSON)
    assert response.status_code == 403
    assert response.json() == {"ok": False, "error": CSRF_REASON}
    page = strict_editor_client.post(url, data)
    assert page.status_code == 403 and "The form expired" in page.content.decode()
    assert Article.objects.get(pk=article.pk).state == ArticleState.NEW


def test_a_refused_permission_asked_for_as_json_gives_its_reason(viewer_client):
    article = make_article()
    response = viewer_client.post(f"/curate/articles/{article.pk}/publish/", {"expected_version": 1}, headers=JSON)
    assert response.status_code == 403
    body = response.json()
    assert body["ok"] is False and body["error"]
    assert Article.objects.get(pk=article.pk).state == ArticleState.NEW
