"""The sign-in page with a `next` that leads back to it: anyone can send an editor such a
link, and Django's LoginView answered a signed-in user's request for it with a server error
(ValueError, "Redirection loop for authenticated user detected")."""

import pytest
from django.test import Client

from curation.tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_signing_in_from_a_link_whose_next_is_the_sign_in_page_lands_on_the_queue():
    make_user(role="editor", username="edna", password="pw")
    client = Client()
    response = client.post(
        "/accounts/login/?next=/accounts/login/%3Fnext%3D/accounts/login/",
        {"username": "edna", "password": "pw"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/curate/"
    assert response.context["user"].username == "edna"


def test_a_signed_in_editor_sent_to_the_sign_in_page_lands_on_the_queue():
    client = Client()
    client.force_login(make_user(role="editor"))
    for target in ("/accounts/login/", "/accounts/login/?next=/curate/", "http://testserver/accounts/login/"):
        response = client.get("/accounts/login/", {"next": target})
        assert (response.status_code, response["Location"]) == (302, "/curate/"), target
    # Any other page of the site is still where `next` goes.
    response = client.get("/accounts/login/", {"next": "/curate/stats/?from=2024-01-01"})
    assert response["Location"] == "/curate/stats/?from=2024-01-01"
