"""Two admins on the rules pages at once: nobody's save is silently overwritten, a rule
switched off twice stays off, and a name taken between the form's check and the save is
a message on the form, never a 500 (on PostgreSQL, for real, with two threads)."""

import pytest

from curation.models import Rule, RuleVersion
from curation.services import rules
from curation.services.rule_conditions import validate_definition
from curation.tests.concurrency import requires_postgresql, run_at_once
from curation.tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db


def definition(note):
    return validate_definition({"when": {"quality_min": 70}, "action": "flag", "note": note})


def rule_admin():
    return client_for(make_user(role="editor", permissions=["change_rule"]))


@pytest.fixture
def rule(db):
    return rules.save_rule(name="Strong", definition=definition("first"), enabled=True)


def form_post(rule, **fields):
    page = rule_admin().get(f"/curate/rules/{rule.pk}/")
    assert f'name="version" value="{rule.version}"'.encode() in page.content
    return {
        "name": rule.name,
        "action": "flag",
        "note": "mine",
        "quality_min": "70",
        "enabled": "on",
        "save": "1",
        "version": str(rule.version),
        **fields,
    }


def test_a_rule_saved_by_someone_else_since_the_form_opened_is_not_overwritten(rule):
    mine = form_post(rule)  # the form as I opened it, at version 1
    theirs = form_post(rule, note="theirs")
    assert rule_admin().post(f"/curate/rules/{rule.pk}/", theirs).status_code == 302  # version 2
    response = rule_admin().post(f"/curate/rules/{rule.pk}/", mine)
    assert response.status_code == 409
    assert b"Someone else saved this rule since you opened it" in response.content
    rule.refresh_from_db()
    assert (rule.version, rule.definition["note"]) == (2, "theirs")


@pytest.mark.parametrize("version", ["²", "-1", "9" * 30, "x"])
def test_a_version_no_rule_can_have_is_refused(rule, version):
    response = rule_admin().post(f"/curate/rules/{rule.pk}/", form_post(rule, version=version))
    assert response.status_code == 400
    rule.refresh_from_db()
    assert rule.version == 1


def test_two_admins_disabling_a_rule_leave_it_disabled(rule):
    for client in (rule_admin(), rule_admin()):  # both saw "Enabled" and clicked Disable
        assert client.post(f"/curate/rules/{rule.pk}/toggle/", {"enabled": "0"}).status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is False
    assert RuleVersion.objects.filter(rule=rule).count() == 2  # one save, not two


def test_a_toggle_keeps_a_definition_saved_after_the_page_read_the_rule(rule, monkeypatch):
    stale = Rule.objects.get(pk=rule.pk)
    rules.save_rule(rule=rule, name="Strong", definition=definition("newer"), enabled=True)
    rules.set_enabled(stale, False)
    rule.refresh_from_db()
    assert (rule.enabled, rule.definition["note"]) == (False, "newer")


def test_a_name_taken_between_the_forms_check_and_the_save_is_a_form_error(rule, monkeypatch):
    # The form's check ran before the other admin's save committed: simulate that window.
    monkeypatch.setattr("curation.rule_forms.RuleForm.clean_name", lambda form: form.cleaned_data["name"])
    response = rule_admin().post(
        "/curate/rules/new/", {"name": "Strong", "action": "flag", "note": "x", "quality_min": "1", "save": "1"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Another rule has this name."]
    assert Rule.objects.filter(name="Strong").count() == 1


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_admins_creating_rules_of_one_name_at_once():
    from curation.tests.browser_support import ensure_editorial_groups

    ensure_editorial_groups()
    clients = [rule_admin(), rule_admin()]
    for attempt in range(4):
        data = {"name": f"Same {attempt}", "action": "flag", "note": "x", "quality_min": "1", "save": "1"}
        results = run_at_once(*(lambda c=c, data=data: c.post("/curate/rules/new/", data) for c in clients))
        statuses = sorted(getattr(r, "status_code", r) for r in results)
        assert statuses in ([302, 302], [302, 400]), statuses  # both, if one committed before the other's check
        assert Rule.objects.filter(name=f"Same {attempt}").count() == 1


# --- the same rules in the admin ----------------------------------------------------------


def admin_form(client, rule):
    page = client.get(f"/admin/curation/rule/{rule.pk}/change/")
    form = page.context["adminform"].form
    assert form.initial["expected_version"] == rule.version
    return {
        "name": rule.name,
        "enabled": "on",
        "position": rule.position,
        "expected_version": rule.version,
        "definition": '{"when": {"quality_min": 70}, "action": "flag", "note": "from the admin"}',
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }


def test_the_admin_does_not_overwrite_a_rule_saved_since_its_form_opened(rule, superuser):
    client = client_for(superuser)
    stale = admin_form(client, rule)
    rules.save_rule(rule=rule, name="Strong", definition=definition("theirs"), enabled=True)
    response = client.post(f"/admin/curation/rule/{rule.pk}/change/", stale)
    assert response.status_code == 200  # the form again, with the reason
    assert b"Someone else saved this rule since you opened it" in response.content
    rule.refresh_from_db()
    assert (rule.version, rule.definition["note"]) == (2, "theirs")
    response = client.post(f"/admin/curation/rule/{rule.pk}/change/", admin_form(client, rule))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.version, rule.definition["note"]) == (3, "from the admin")


def test_a_save_racing_the_admins_form_check_is_a_message(rule, superuser, monkeypatch):
    client = client_for(superuser)
    data = admin_form(client, rule)
    # Another admin saves between the form's check and the save: simulate that window.
    real = rules.save_rule

    def someone_else_first(**kwargs):
        real(rule=rule, name="Strong", definition=definition("theirs"), enabled=True)
        return real(**kwargs)

    monkeypatch.setattr(rules, "save_rule", someone_else_first)
    response = client.post(f"/admin/curation/rule/{rule.pk}/change/", data, follow=True)
    assert response.status_code == 200
    assert "Someone else saved this rule" in " ".join(str(m) for m in response.context["messages"])
    rule.refresh_from_db()
    assert rule.definition["note"] == "first"  # the admin's transaction, theirs included, rolled back
