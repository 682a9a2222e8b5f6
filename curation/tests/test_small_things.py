"""Small things seen on the way: the favicon, heat "unknown" in the admin, the README, the row
templates' dates."""

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import Client
from django.utils import dateformat
from django.utils.timezone import template_localtime
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from curation.tests.factories import make_article, make_user
from newsroom.jinja2 import date as jinja_date

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_every_page_names_a_favicon_that_exists(client, settings):
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert (ROOT / "static" / "favicon.svg").read_text().startswith("<svg")
    response = client.get("/favicon.ico")  # what browsers ask for on the admin's pages
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_admin_shows_unknown_heat_as_a_muted_dash_not_minus_one():
    admin = Client()
    admin.force_login(make_user(role="superuser", username="root"))
    make_article(title="Heat unknown", heat=-1)
    make_article(title="Heat known", heat=17)
    html = admin.get("/admin/curation/article/").content.decode()
    assert '<td class="field-heat_column"><span class="unknown" title="unknown">–' in html
    assert '<td class="field-heat_column">17</td>' in html
    assert '<td class="field-heat_column">-1</td>' not in html
    assert 'href="/static/css/admin.css"' in html


def test_readme_documents_the_demo_port_and_the_lockout():
    readme = (ROOT / "README.md").read_text()
    assert "scripts/demo.py --port" in readme
    assert "axes_reset" in readme and '[["username", "ip_address"]]' in readme


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    value=st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=st.just(dt.UTC))
)
def test_the_row_templates_date_filter_writes_what_djangos_does(value):
    """The row templates' |date writes its common formats directly: the same text as Django's."""
    for format_string in ("Y-m-d H:i", "Y-m-d", "H:i", "j M Y"):
        assert jinja_date(value, format_string) == dateformat.format(template_localtime(value), format_string)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    value=st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=st.just(dt.UTC)),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/St_Johns", "Asia/Kathmandu"]),
)
def test_a_story_rows_dates_are_what_the_date_filter_writes_in_the_editors_zone(value, zone):
    """A story row formats its dates once, in the zone read for the page (views.rows.QueueRows):
    the same text as the row templates' |date in the current zone."""
    from django.utils import timezone

    from curation.views.rows import QueueRows

    with timezone.override(zone):
        rows = QueueRows(AnonymousUser())
        for format_string in ("Y-m-d H:i", "Y-m-d", "H:i"):
            assert rows.shown(value, format_string) == jinja_date(value, format_string)
        assert rows.shown(None, "Y-m-d") == jinja_date(None, "Y-m-d") == ""


def test_no_django_template_has_a_comment_its_readers_would_see():
    """Django's {# #} comment ends on its own line: one spread over two lines is printed as
    text, as the rules page printed its own note under its buttons. ({% comment %} spans
    lines; the Jinja2 templates' {# #} may too, so templates/jinja2 is left out.)"""
    shown = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        if "jinja2" in template.relative_to(ROOT).parts:
            continue
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if "{#" in line and "#}" not in line.split("{#", 1)[1]:
                shown.append(f"{template.relative_to(ROOT)}:{number}")
    assert shown == []


def test_the_rules_page_shows_no_template_comment(client):
    editor = make_user(role="editor", username="ruleshown")
    editor.user_permissions.add(Permission.objects.get(codename="change_rule"))
    client.force_login(editor)
    html = client.get("/curate/rules/new/").content.decode()
    assert "{#" not in html and "#}" not in html
