"""`setup_demo`, what the README's first command runs: the accounts it prints sign in with the
passwords it prints and can do what it says, a few items are published, and a second run
changes nothing but the passwords it resets."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from curation.models import Article
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db


def run_demo():
    out = io.StringIO()
    call_command("setup_demo", "--port", "8123", stdout=out)
    return out.getvalue()


def signed_in(text, username):
    password = re.search(rf"log in as\s+{username} / (\S+)", text).group(1)
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, (username, response.status_code)  # the sign-in form took them
    return client


def test_the_printed_accounts_sign_in_and_can_do_what_the_demo_says():
    for n in range(12):
        make_article(title=f"Demo item {n}", quality=100 + n)
    text = run_demo()
    assert "http://127.0.0.1:8123/curate/" in text
    assert Article.objects.published().count() == 8  # the default --publish

    editor = signed_in(text, "editor")
    assert editor.get(reverse("curation:queue")).status_code == 200
    assert editor.get(reverse("curation:rule-list")).status_code == 200  # "triage rules too"
    item = Article.objects.in_queue().first()
    page = editor.get(reverse("curation:article-detail", args=[item.pk])).content.decode()
    assert "Embargo" in page  # the embargo editors' controls

    viewer = signed_in(text, "viewer")
    assert viewer.get(reverse("curation:queue")).status_code == 200
    assert viewer.get(reverse("curation:rule-list")).status_code == 403

    admin = signed_in(text, "admin")
    assert admin.get(reverse("admin:index")).status_code == 200


def test_running_it_again_publishes_no_more_and_keeps_the_accounts_working():
    for n in range(12):
        make_article(title=f"Demo item {n}")
    run_demo()
    text = run_demo()
    assert Article.objects.published().count() == 8
    signed_in(text, "editor")
