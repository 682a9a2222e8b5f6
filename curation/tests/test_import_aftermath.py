"""Files that parse, and used to break what comes after the parse: the clustering at the end
of the run, the pages that show the item, the steps after the files. Each such file must fail
alone with its reason, and a step after the files that fails anyway must not cost the run's
report."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.models import Article, ImportLedgerEntry, ImportRun
from curation.seedformat import SeedError, parse_seed
from curation.services import stories as story_service
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_import import run_import, write
from curation.tests.test_import_isolation import WORKERS, assert_failed_alone, front, import_beside_good_files
from curation.validation import FIRST_YEAR, LAST_YEAR

pytestmark = pytest.mark.django_db

EDGE_DATES = [
    ("year-1", "publishedDateTime: 0001-01-01T00:00:00Z"),
    ("year-9999", "publishedDateTime: 9999-12-31T23:59:59Z"),
    ("year-9999-west", "publishedDateTime: 9999-12-31T20:00:00-03:00"),
    ("a-date-at-year-1", "publishedDateTime: 0001-01-01"),
    ("quoted", 'publishedDateTime: "0001-01-01T00:00:00+00:00"'),
    ("related-item", "related: [{title: r, publishedDateTime: 9999-12-31T23:59:59Z}]"),
]


@WORKERS
@pytest.mark.parametrize(("name", "extra"), EDGE_DATES, ids=[case[0] for case in EDGE_DATES])
def test_a_date_at_the_ends_of_the_calendar_fails_its_file_alone(tmp_path, workers, name, extra):
    # Stored, year 1 made the end-of-run clustering raise ("year 0 is out of range"): a
    # traceback, no report, the run never finished; shown in any time zone but UTC, a 500.
    code, _, err, report = import_beside_good_files(tmp_path, f"{name}.txt", front(extra), workers)
    assert_failed_alone(
        tmp_path, f"{name}.txt", f"is outside the years {FIRST_YEAR} to {LAST_YEAR} in UTC", code, err, report
    )
    assert report["stories"]["items"] == 2 and report["errors"] == []
    assert ImportRun.objects.get().finished_at is not None


OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(
        min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59), timezones=OFFSETS
    )
)
def test_any_accepted_date_can_be_shown_in_any_time_zone(when):
    text = f"---\ntitle: t\nwebUrl: https://a.example/\npublishedDateTime: {when.isoformat()}\n---\n"
    try:
        published = parse_seed(text.encode()).published_at
    except SeedError as exc:
        assert exc.field == "publishedDateTime" and "outside the years" in str(exc)
        return
    assert FIRST_YEAR <= published.year <= LAST_YEAR
    for hours in (-24, 24):  # the farthest any time zone is from UTC, and a day's arithmetic
        published + dt.timedelta(hours=hours)  # noqa: B018 - raises OverflowError near the ends


def test_clustering_survives_dates_stored_at_the_ends_of_the_calendar(tmp_path):
    # Rows stored before dates were checked: cluster_stories used to raise on them.
    write(tmp_path, "a.txt", seed_text(body="B\n", **valid_front_matter(1)))
    write(tmp_path, "b.txt", seed_text(body="B\n", **valid_front_matter(2)))
    run_import(tmp_path, no_stories=True)
    first, last = Article.objects.order_by("pk")
    Article.objects.filter(pk=first.pk).update(published_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC))
    Article.objects.filter(pk=last.pk).update(published_at=dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC))
    out = StringIO()
    call_command("cluster_stories", stdout=out)
    assert "2 items clustered" in out.getvalue()


@pytest.mark.parametrize("step", ["stories", "rules"])
def test_a_step_after_the_files_that_fails_is_reported_and_the_run_finishes(tmp_path, monkeypatch, step):
    def broken(*args, **kwargs):
        raise ValueError("year 0 is out of range")

    if step == "stories":
        monkeypatch.setattr(story_service.ImportIndexer, "finish", broken)
    else:
        monkeypatch.setattr("curation.services.rules.run_on_new_items", broken)
    write(tmp_path, "a.txt", seed_text(body="B\n", **valid_front_matter(1)))
    code, out, err = run_import(tmp_path, json=True)

    assert code == 1 and "Traceback" not in err
    report = json.loads(out)
    assert report["counts"]["created"] == 1 and report[step] is None
    (error,) = report["errors"]
    assert error.endswith("ValueError: year 0 is out of range") and f"{step[:5]}" in error
    assert f"import: {error}" in err
    assert Article.objects.count() == 1 and ImportLedgerEntry.objects.count() == 1
    assert ImportRun.objects.get().finished_at is not None


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
@pytest.mark.parametrize("when", [f"{LAST_YEAR}-12-31T23:59:59Z", f"{FIRST_YEAR}-01-01T00:00:00Z"])
def test_the_latest_and_earliest_accepted_dates_show_in_any_time_zone(tmp_path, editor_client, zone, when):
    write(tmp_path, "a.txt", seed_text(body="B\n", **valid_front_matter(1, publishedDateTime=when)))
    assert run_import(tmp_path)[0] == 0
    with override_settings(TIME_ZONE=zone):
        assert editor_client.get(f"/curate/articles/{Article.objects.get().pk}/").status_code == 200


def _stories_by_url():
    members = {}
    for story_id, url in Article.objects.filter(story__isnull=False).values_list("story_id", "web_url"):
        members.setdefault(story_id, set()).add(url)
    return sorted(sorted(urls) for urls in members.values() if len(urls) > 1)


@pytest.mark.parametrize("then", ["cluster_stories", "import again"])
def test_an_import_that_never_clustered_its_items_is_finished_by_cluster_stories_or_a_rerun(
    tmp_path, monkeypatch, then
):
    """The sample seeds' five pairs (two outlets, one event each). An import killed after
    its batches (which index each item) and before its end (which looks for their pairs),
    or whose clustering failed, left them in no story; `cluster_stories` (which the import's
    own message names) and a rerun (which finds every file unchanged) both took them for
    done, so the five stories never came, short of a --rebuild."""
    monkeypatch.setattr(story_service.ImportIndexer, "finish", lambda self: 1 / 0)
    code, _, err = run_import("fixtures/seeds")
    assert code == 1 and "stories were not clustered (cluster_stories can, later)" in err
    assert _stories_by_url() == []
    monkeypatch.undo()

    if then == "cluster_stories":
        call_command("cluster_stories", stdout=StringIO())
    else:
        code, out, _ = run_import("fixtures/seeds")
        assert code == 0 and "0 created, 0 updated" in out
    stories = _stories_by_url()
    assert len(stories) == 5 and all(len(urls) == 2 for urls in stories), stories
