"""Users and groups in the admin: an admin giving someone a role sees what each group allows,
in words read from its permissions, on the group list and where a user's groups are picked."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation.models import EditorialAction
from curation.services.editorial import publish_article
from curation.tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_group_list_says_what_each_group_allows(superuser_admin):
    page = text(superuser_admin.get(reverse("admin:auth_group_changelist")))
    assert "Allows its members to" in page
    assert "Editors publish and unpublish articles; reject and restore articles" in page.replace(
        "add topic; change article; ", ""
    )
    assert "Embargo editors set and lift embargoes" in page
    assert "Viewers read only" in page


def test_picking_a_users_groups_shows_what_each_allows(superuser_admin):
    user = make_user(role="viewer", username="newcomer")
    page = text(superuser_admin.get(reverse("admin:auth_user_change", args=[user.pk])))
    assert "Embargo editors : set and lift embargoes" in page
    assert "Viewers : read only" in page
    assert "added together" in page


def test_a_group_with_a_hostile_name_is_escaped(superuser_admin):
    Group.objects.create(name="<script>x</script>")
    user = make_user(role="viewer", username="newcomer")
    for url in (reverse("admin:auth_group_changelist"), reverse("admin:auth_user_change", args=[user.pk])):
        assert "<script>x</script>" not in superuser_admin.get(url).content.decode()


def test_the_group_list_costs_the_same_queries_for_many_groups(superuser_admin):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            superuser_admin.get(reverse("admin:auth_group_changelist"))
        return len(captured)

    before = queries()
    publish = Permission.objects.get(codename="publish_article")
    for n in range(15):
        Group.objects.create(name=f"Desk {n}").permissions.add(publish)
    assert queries() == before


def test_someone_the_audit_log_names_is_deactivated_not_deleted(superuser_admin):
    # Deleting them blanked the actor of every audit row they wrote (SET_NULL).
    editor, idle = make_user(role="editor", username="leaver"), make_user(role="viewer", username="never-acted")
    publish_article(article=make_article(), user=editor)
    page = superuser_admin.get(reverse("admin:auth_user_change", args=[editor.pk])).content.decode()
    assert reverse("admin:auth_user_delete", args=[editor.pk]) not in page
    assert superuser_admin.post(reverse("admin:auth_user_delete", args=[editor.pk]), {"post": "yes"}).status_code == 403
    confirm = superuser_admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [editor.pk, idle.pk], "post": "yes"},
    )
    assert "the audit log names them" in confirm.content.decode()
    assert EditorialAction.objects.get(actor__username="leaver")
    response = superuser_admin.post(reverse("admin:auth_user_delete", args=[idle.pk]), {"post": "yes"})
    assert response.status_code == 302 and not type(idle).objects.filter(pk=idle.pk).exists()
