"""Read-only accounts (Viewers): a "Read only" badge, no action buttons or action shortcut
hints; a refused action is a styled 403 page that says why."""

import pytest
from django.test import Client
from django.urls import reverse

from curation.models import Article
from curation.tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_viewer_sees_the_badge_and_no_actions(viewer_client, article):
    html = viewer_client.get(reverse("curation:article-detail", args=[article.pk])).content.decode()
    assert 'class="badge read-only"' in html and ">Read only<" in html
    assert "/publish/" not in html and "/reject/" not in html and "Edit</a>" not in html
    shortcuts = html.split('id="shortcuts"')[1].split("</dialog>")[0]
    assert "Publish" not in shortcuts and "Reject" not in shortcuts and "Next item" in shortcuts
    queue = viewer_client.get(reverse("curation:queue")).content.decode()
    assert ">Read only<" in queue
    assert "actions-col" not in queue and ">Actions<" not in queue  # no empty column either


def test_editor_has_no_badge_and_the_action_shortcuts(editor_client, article):
    html = editor_client.get(reverse("curation:article-detail", args=[article.pk])).content.decode()
    assert ">Read only<" not in html
    assert "<dd>Publish;" in html and 'aria-keyshortcuts="p"' in html


def test_a_refused_action_is_a_styled_403_that_says_why(viewer_client, article):
    response = viewer_client.post(reverse("curation:article-action", args=[article.pk, "publish"]))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'class="site-header"' in html and "<h1" in html  # the site's layout
    assert "cannot publish or unpublish articles" in html
    assert "signed in as <strong>vic</strong> (Viewers)" in html
    assert Article.objects.get(pk=article.pk).state == "new"
    edit = viewer_client.get(reverse("curation:article-edit", args=[article.pk]))
    assert edit.status_code == 403 and "You do not have permission to edit articles." in edit.content.decode()


def test_an_account_without_a_role_is_told_to_ask_an_administrator(article):
    client = Client()
    client.force_login(make_user(role=None))
    response = client.get(reverse("curation:queue"))
    assert response.status_code == 403
    assert "Ask an administrator to add you to the Viewers or Editors group" in response.content.decode()


def test_a_stale_form_token_is_explained(editor, article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(reverse("curation:article-action", args=[article.pk, "publish"]))
    assert response.status_code == 403
    assert "The form expired" in response.content.decode() and "reload the page" in response.content.decode()
