"""The topic's change page for an admin who may only view topics (Editors: view and add)."""

import pytest
from django.urls import reverse

from curation.tests.factories import client_for, make_topic

pytestmark = pytest.mark.django_db


def test_a_topic_page_opens_for_an_admin_who_may_only_view_topics(staff_editor):
    # Editors may view and add topics, not change them: Django's view-only page has no form
    # fields, and the topic form's __init__ looked its slug field up regardless (a 500).
    assert not staff_editor.has_perm("curation.change_topic")
    topic = make_topic(name="Viewed only")
    page = client_for(staff_editor).get(reverse("admin:curation_topic_change", args=[topic.pk]))
    assert page.status_code == 200 and "Viewed only" in page.content.decode()
