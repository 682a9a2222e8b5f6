"""The statistics page, its JSON and CSV, and `curation_stats`: who may see them, what they
show, and what hostile range parameters get (a 400 with a message, never a 500)."""

import csv
import datetime as dt
import io
import json
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from curation.models import EditorialAction
from curation.services.editorial import publish_article, reject_article
from curation.tests.factories import make_article, make_user
from curation.tests.hostile_input import fuzz_settings, query_pairs, values

pytestmark = pytest.mark.django_db
STATS = reverse("curation:stats")
DATA = reverse("curation:stats-data")
EXPORT = reverse("curation:stats-export")


@pytest.fixture
def decided(editor):
    a, b = make_article(quality=189, heat=-1), make_article(quality=0, heat=90)
    publish_article(article=a, user=editor)
    reject_article(article=b, user=editor, reason_code="duplicate")
    return a, b


def test_anonymous_users_are_sent_to_log_in_and_users_without_the_read_permission_get_403():
    for url in (STATS, DATA, EXPORT):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    stranger = Client()
    stranger.force_login(make_user(role=None))
    assert stranger.get(STATS).status_code == 403


def test_viewers_see_every_chart_with_its_table_and_the_nav_links_the_page(viewer_client, decided, editor):
    response = viewer_client.get(STATS)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{STATS}"' in html  # the curator navigation
    for fid in ("inflow", "runs", "queue", "decisions", "decided_by", "editors", "stories", "quality", "heat", "rules"):
        assert f'id="chart-{fid}"' in html and f'id="figure-{fid}"' in html
    assert '<th scope="row">edna</th>' in html  # the editor's row in the per-editor table
    assert "Rejected: Duplicate" in html  # the reason's label, not its code
    assert 'src="/static/vendor/chartjs/chart-4.6.1.umd.min.js"' in html and "<script>" not in html


def test_the_json_endpoint_gives_the_same_figures(editor_client, decided):
    today = dt.date.today().isoformat()
    data = editor_client.get(DATA, {"from": "2020-01-01", "to": today}).json()
    assert data["ok"] and data["from"] == "2020-01-01"
    figures = {figure["id"]: figure for figure in data["figures"]}
    editors = figures["editors"]
    assert editors["labels"] == ["edna"]
    assert {s["key"]: s["data"] for s in editors["series"]} == {"published": [1], "rejected": [1], "merged": [0]}
    quality = {s["key"]: s["data"] for s in figures["quality"]["series"]}
    assert quality["published"] == [0, 0, 0, 0, 1] and quality["rejected"] == [1, 0, 0, 0, 0]
    assert quality["share"] == [0.0, None, None, None, 100.0]


def test_the_csv_export_has_a_row_per_value(editor_client, decided):
    response = editor_client.get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["figure", "x_label", "x", "series", "value"]
    assert ["editors", "Editor", "edna", "Published", "1"] in rows
    assert ["quality", "Quality band", "Top (100 and above)", "Published", "1"] in rows


def test_a_deleted_editor_s_decisions_stay_under_deleted_users(editor_client, decided):
    other = make_user(role="editor", username="gone")
    publish_article(article=make_article(), user=other)
    other.delete()
    assert EditorialAction.objects.filter(actor__isnull=True).count() == 1
    figures = {f["id"]: f for f in editor_client.get(DATA).json()["figures"]}
    assert "(deleted users)" in figures["editors"]["labels"]


@pytest.mark.parametrize(
    "query, message",
    [
        # Written as asked, no such day: saying "must be written YYYY-MM-DD" misled.
        ({"from": "2026-02-30"}, "2026-02-30 is not a day of the calendar"),
        ({"to": "2026-13-01"}, "2026-13-01 is not a day of the calendar"),
        ({"from": "2026-W01-1"}, "YYYY-MM-DD"),  # an ISO week date: fromisoformat took it
        # No "to" given, a "from" ahead of today: "from must be on or before to" named a field left empty.
        ({"from": "2199-01-01"}, "“from” is after today"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "starts after it ends"),
        ({"from": "1990-01-01", "to": "2200-01-01"}, "longer than 20 years"),
        ({"to": "0001-01-01"}, "between"),
        ({"from": "٢٠٢٦-٠١-٠١"}, "YYYY-MM-DD"),
    ],
)
def test_a_bad_range_is_a_400_with_a_message(editor_client, query, message):
    page = editor_client.get(STATS, query)
    assert page.status_code == 400 and message in page.content.decode()
    assert 'name="from"' in page.content.decode()  # the picker is still there to correct it
    data = editor_client.get(DATA, query)
    assert data.status_code == 400 and message in data.json()["error"]
    assert editor_client.get(EXPORT, query).status_code == 400


def test_a_nul_in_the_datas_range_is_refused_in_json(editor_client):
    # The NUL guard answers before the view, and chose HTML for any path outside the API.
    response = editor_client.get(f"{DATA}?from=%00")
    assert response.status_code == 400 and "NUL" in response.json()["error"]


def test_a_range_given_twice_is_refused(editor_client):
    response = editor_client.get(f"{STATS}?from=2026-01-01&from=2026-01-02")
    assert response.status_code == 400 and "once" in response.content.decode()


dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat)


@fuzz_settings
@given(pairs=query_pairs({"from", "to"}), extra=st.lists(st.tuples(st.sampled_from(["from", "to"]), dates), max_size=2))
def test_hostile_range_parameters_are_a_400_with_a_message_never_a_500(editor_client, pairs, extra):
    query = urlencode(pairs + extra)
    for url in (STATS, DATA, EXPORT):
        response = editor_client.get(f"{url}?{query}")
        assert response.status_code in (200, 400), (url, query, response.status_code)
        if response.status_code == 400 and url == DATA:
            assert response.json()["error"]


@fuzz_settings
@given(value=values)
def test_the_command_refuses_a_hostile_since_with_a_message(value):
    try:
        call_command("curation_stats", since=value, stdout=io.StringIO())
    except CommandError as exc:
        assert "--since" in str(exc) or "range" in str(exc)


def test_the_command_prints_the_figures_as_text_and_json(decided):
    out = io.StringIO()
    call_command("curation_stats", since="2020-01-01", stdout=out)
    text = out.getvalue()
    assert "Decisions per editor" in text and "edna" in text and "Score calibration: quality" in text
    out = io.StringIO()
    call_command("curation_stats", "--json", since="2020-01-01", stdout=out)
    data = json.loads(out.getvalue())
    assert data["from"] == "2020-01-01"
    assert {f["id"] for f in data["figures"]} >= {"inflow", "queue", "rules"}
    with pytest.raises(CommandError, match="--since"):
        call_command("curation_stats", since="yesterday")


def test_the_command_refreshes_and_rebuilds(decided):
    out = io.StringIO()
    call_command("curation_stats", "--rebuild", "--no-figures", stdout=out)
    assert "up to date" in out.getvalue()
    assert User.objects.filter(username="edna").exists()


def test_a_page_view_counts_only_its_budget_of_new_rows_and_says_the_figures_lag(editor_client, editor, settings):
    settings.STATS_REFRESH_ROWS_PER_REQUEST = 2
    for article in [make_article() for _ in range(5)]:
        publish_article(article=article, user=editor)
    page = editor_client.get(STATS)
    assert "do not count the latest 3 log rows yet" in page.content.decode()
    call_command("curation_stats", "--refresh", "--no-figures", stdout=io.StringIO())
    assert "do not count the latest" not in editor_client.get(STATS).content.decode()


@pytest.mark.parametrize("name", ["@SUM+1", "+1+1", "-2+3", "=cmd"])
def test_a_user_name_that_looks_like_a_formula_is_text_in_the_csv(editor_client, decided, name):
    publish_article(article=make_article(), user=make_user(role="editor", username=name))
    rows = list(csv.reader(io.StringIO(editor_client.get(EXPORT).content.decode())))
    assert ["editors", "Editor", f"'{name}", "Published", "1"] in rows
    assert not any(
        cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if not cell.lstrip("-").isdigit()
    )
