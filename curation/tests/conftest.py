import pytest
from django.test import Client

from curation.tests.factories import make_article, make_user


@pytest.fixture
def editor(db):
    return make_user(role="editor", username="edna")


@pytest.fixture
def viewer(db):
    return make_user(role="viewer", username="vic")


@pytest.fixture
def superuser(db):
    return make_user(role="superuser", username="root")


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor):
    return _client_for(editor)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def article(db):
    return make_article(title="A story worth reading", topics=["Science"])
