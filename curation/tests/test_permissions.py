"""Who may do what in the curator workspace: the role x view x method matrix."""

import pytest
from django.test import Client
from django.urls import reverse

from curation.models import Article, ArticleState, EditorialAction
from curation.tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

ACTIONS = ["publish", "unpublish", "reject", "restore"]
# The state each action starts from, so an allowed user would succeed.
START_STATE = {"publish": "new", "unpublish": "published", "reject": "new", "restore": "rejected"}


def read_urls(article):
    return [
        reverse("curation:queue"),
        reverse("curation:queue") + "?state=all&sort=-quality",
        reverse("curation:article-detail", args=[article.pk]),
    ]


def write_requests(article, item, target):
    """(url, data) for every write the workspace offers, each valid for an editor."""
    v = {"expected_version": article.version}
    return [
        *[(reverse("curation:article-action", args=[article.pk, action]), v) for action in ACTIONS],
        (reverse("curation:article-edit", args=[article.pk]), {**v, "title": "Changed", "excerpt": "", "topics": ""}),
        (
            reverse("curation:article-complete", args=[item.pk]),
            {"expected_version": item.version, "title": "Done", "provider_name": "Wire", "published_at": "2024-03-01T10:00"},
        ),
        (reverse("curation:article-attach", args=[item.pk]), {"expected_version": item.version, "target": target.pk}),
        (reverse("curation:bulk-action"), {"action": "publish", "ids": [article.pk]}),
    ]


@pytest.fixture
def targets(db):
    article = make_article(title="Matrix article")
    item = make_article(title="Body only", has_front_matter=False, needs_metadata=True, web_url="", front_matter_raw="")
    target = make_article(title="Attach target")
    return article, item, target


def snapshot():
    return (
        list(Article.objects.order_by("pk").values_list("pk", "state", "version", "title", "needs_metadata", "body")),
        EditorialAction.objects.count(),
    )


def test_anonymous_is_sent_to_login_from_every_page(client, targets):
    article, item, target = targets
    for url in read_urls(article) + [reverse("curation:article-edit", args=[article.pk])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next=/curate/"), url


def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, targets):
    before = snapshot()
    for url, data in write_requests(*targets):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert snapshot() == before


def test_user_without_a_role_cannot_read_the_workspace(targets):
    client = Client()
    client.force_login(make_user(role=None))
    article = targets[0]
    for url in read_urls(article):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["viewer", "editor", "superuser"])
def test_readers_can_read(role, targets):
    client = Client()
    client.force_login(make_user(role=role))
    for url in read_urls(targets[0]):
        assert client.get(url).status_code == 200, url


def test_viewer_sees_no_action_buttons(viewer_client, targets):
    article = targets[0]
    page = viewer_client.get(reverse("curation:article-detail", args=[article.pk])).content.decode()
    queue = viewer_client.get(reverse("curation:queue")).content.decode()
    for html in (page, queue):
        assert ">Publish</button>" not in html
        assert ">Reject</button>" not in html and 'data-action="reject"' not in html
        assert 'id="bulk-form"' not in html
    assert ">Edit</a>" not in page


def test_viewer_post_is_refused_with_403_and_changes_nothing(viewer_client, targets):
    article, item, target = targets
    for state in ("new", "published", "rejected"):
        Article.objects.filter(pk=article.pk).update(state=state)
        before = snapshot()
        for url, data in write_requests(article, item, target):
            response = viewer_client.post(url, data)
            assert response.status_code == 403, url
            assert snapshot() == before, url
            # Incomplete forms are refused too, not re-displayed.
            assert viewer_client.post(url, {}).status_code == 403, url


def test_viewer_in_place_post_is_refused_with_403(viewer_client, targets):
    article = targets[0]
    url = reverse("curation:article-action", args=[article.pk, "publish"])
    response = viewer_client.post(url, {"expected_version": 1}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).state == ArticleState.NEW


def test_viewer_cannot_open_the_edit_form(viewer_client, targets):
    assert viewer_client.get(reverse("curation:article-edit", args=[targets[0].pk])).status_code == 403


@pytest.mark.parametrize("role", ["editor", "superuser"])
def test_get_on_an_action_is_405(role, targets):
    client = Client()
    client.force_login(make_user(role=role))
    article, item, target = targets
    urls = [url for url, _ in write_requests(article, item, target) if "/edit/" not in url]
    for url in urls:
        assert client.get(url).status_code == 405, url
    assert client.put(reverse("curation:article-edit", args=[article.pk])).status_code == 405


@pytest.mark.parametrize("role", ["editor", "superuser"])
@pytest.mark.parametrize("action", ACTIONS)
def test_editor_and_superuser_may_act(role, action, targets):
    user = make_user(role=role)
    client = Client()
    client.force_login(user)
    article = targets[0]
    Article.objects.filter(pk=article.pk).update(state=START_STATE[action])
    response = client.post(reverse("curation:article-action", args=[article.pk, action]), {"expected_version": 1})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state != START_STATE[action]
    assert article.actions.get().actor == user


@pytest.mark.parametrize("index", range(8))
def test_post_without_csrf_token_is_refused(index, editor, targets):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    url, data = write_requests(*targets)[index]
    if "/restore/" in url or "/unpublish/" in url:
        Article.objects.filter(pk=targets[0].pk).update(state="rejected" if "restore" in url else "published")
    before = snapshot()
    assert client.post(url, data).status_code == 403
    assert snapshot() == before
    # The same request with the token goes through: the 403 above was the CSRF check.
    client.get(reverse("curation:article-detail", args=[targets[0].pk]))
    response = client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code in (200, 302)
    assert snapshot() != before


def test_login_redirects_to_the_queue_and_follows_a_safe_next(client, db):
    make_user(role="editor", username="ada", password="correct horse")
    response = client.post(reverse("login"), {"username": "ada", "password": "correct horse"})
    assert response.status_code == 302 and response["Location"] == reverse("curation:queue")
    client.post(reverse("logout"))
    article = make_article()
    url = reverse("curation:article-detail", args=[article.pk])
    response = client.post(
        reverse("login") + f"?next={url}", {"username": "ada", "password": "correct horse", "next": url}
    )
    assert response["Location"] == url


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/curate/", "javascript:alert(1)", "http:\\\\evil.example"]
)
def test_login_ignores_an_unsafe_next(client, db, unsafe):
    make_user(role="editor", username="ada", password="correct horse")
    page = client.get(reverse("login"), {"next": unsafe}).content.decode()
    assert "evil.example" not in page and "javascript:" not in page
    response = client.post(reverse("login"), {"username": "ada", "password": "correct horse", "next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == reverse("curation:queue")


def test_action_ignores_an_unsafe_next(editor_client, targets):
    article = targets[0]
    response = editor_client.post(
        reverse("curation:article-action", args=[article.pk, "publish"]),
        {"expected_version": 1, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("curation:article-detail", args=[article.pk])
