"""The statistics page in Chromium: every chart drawn with labelled axes, light and dark
(screenshots in test-artifacts/), axe-core clean, and the date range picker worked with the
mouse (JavaScript on and off) and from the keyboard."""

import datetime as dt
import random
import re

import pytest
from django.utils import timezone

from curation.models import EditorialAction, ImportLedgerEntry, ImportRun, Story
from curation.tests.browser_support import ARTIFACTS_DIR, arrive, axe_violations, expect
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIGURES = ("inflow", "runs", "queue", "decisions", "decided_by", "editors", "stories", "quality", "heat", "rules")
Action = EditorialAction.Action


@pytest.fixture
def newsroom(transactional_db):
    """Two weeks of a small newsroom: imports, two editors, a rule, stories."""
    rnd = random.Random(4)
    now = timezone.now()
    editors = [make_user(role="editor", username=name) for name in ("edna", "omar")]
    story = Story.objects.create(size=3, created_at=now, updated_at=now)
    Story.objects.create(size=7, created_at=now - dt.timedelta(days=3), updated_at=now)
    for day in range(14, -1, -1):
        started = now - dt.timedelta(days=day, hours=2)
        run = ImportRun.objects.create(
            started_at=started, created=rnd.randrange(5, 30), updated=rnd.randrange(6), failed=rnd.randrange(3)
        )
        for n in range(rnd.randrange(3, 9)):
            imported = started + dt.timedelta(minutes=n)
            article = make_article(
                imported_at=imported,
                quality=rnd.randrange(0, 190),
                heat=rnd.choice([-1, rnd.randrange(0, 101)]),
                story=story if n == 0 else None,
            )
            ImportLedgerEntry.objects.create(
                run=run,
                path=f"/s/{day}-{n}.txt",
                article=article,
                created_at=imported,
                status=rnd.choice(["created", "created", "updated", "failed"]),
            )
            decided = imported + dt.timedelta(minutes=rnd.randrange(5, 3000))
            if decided > now or n % 4 == 3:
                continue
            via = "rule" if n % 3 == 0 else "curator"
            action = Action.PUBLISH if article.quality > 70 else Action.REJECT
            EditorialAction.objects.create(
                article=article,
                actor=None if via == "rule" else rnd.choice(editors),
                action=action,
                via=via,
                created_at=decided,
                reason_code="low-quality" if via == "rule" else rnd.choice(["", "duplicate"]),
            )
            if via == "rule" and decided + dt.timedelta(hours=1) < now:
                EditorialAction.objects.create(
                    article=article,
                    actor=editors[0],
                    created_at=decided + dt.timedelta(hours=1),
                    action=rnd.choice([Action.PUBLISH, Action.REJECT]),
                    via="curator",
                )
    return editors


def wait_drawn(page):
    page.wait_for_selector("#stats[data-drawn]", state="attached")


def tab_to(page, element_id, most=40):
    """Press Tab until `element_id` has the focus (a date field's segments and its calendar
    button take Tabs of their own)."""
    for _ in range(most):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never took the focus from the keyboard")


def chart_axes(page):
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('canvas[id^=chart-]')).map(c => {
             const chart = Chart.getChart(c);
             return [c.id, chart ? chart.options.scales.x.title.text : null, chart ? chart.options.scales.y.title.text : null,
                     c.getBoundingClientRect().width];
           })"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_chart_is_drawn_with_labelled_axes_and_the_page_passes_axe(open_page, newsroom, scheme):
    page, watch = open_page(user=newsroom[0], color_scheme=scheme)
    page.goto("/curate/stats/")
    wait_drawn(page)
    axes = chart_axes(page)
    assert [cid for cid, *_ in axes] == [f"chart-{fid}" for fid in FIGURES]
    for cid, x_title, y_title, width in axes:
        assert x_title and y_title and width > 300, (cid, x_title, y_title, width)
    assert axe_violations(page, impacts=None) == []
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    for fid in FIGURES:
        path = ARTIFACTS_DIR / f"stats-{fid}-{scheme}.png"
        page.locator(f"#figure-{fid}").screenshot(path=str(path))
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 5_000
    page.screenshot(path=str(ARTIFACTS_DIR / f"stats-page-{scheme}.png"), full_page=True)
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("javascript", [True, False])
def test_the_date_picker_with_the_mouse(open_page, newsroom, javascript):
    page, watch = open_page(user=newsroom[0], java_script_enabled=javascript, locale="en-US")
    check = expect()
    page.goto("/curate/")
    page.get_by_role("link", name="Statistics").click()
    arrive(page, re.compile(r"/curate/stats/$"))
    # Three days of the newsroom's two weeks (a range with nothing in it draws no chart).
    days = [(timezone.localdate() - dt.timedelta(days=n)).isoformat() for n in (5, 4, 3)]
    page.locator("#stats-from").click()
    page.locator("#stats-from").fill(days[0])
    page.locator("#stats-to").click()
    page.locator("#stats-to").fill(days[-1])
    page.get_by_role("button", name="Show").click()
    arrive(page, re.compile(rf"from={days[0]}&to={days[-1]}"))
    check(page.locator("#figure-inflow tbody th")).to_have_text(days)
    if javascript:
        wait_drawn(page)
        assert page.evaluate("() => Chart.getChart(document.getElementById('chart-inflow')).data.labels") == days
    else:
        check(page.locator("#chart-inflow")).to_be_hidden()  # no script: the tables carry the numbers
    page.get_by_role("link", name="Last 7 days").click()
    arrive(page, re.compile(r"from=\d{4}-\d\d-\d\d&to="))
    check(page.locator("#figure-inflow tbody tr")).to_have_count(7)

    # A range that ends before it starts: a message, and the picker to correct it.
    page.locator("#stats-from").fill("2026-02-01")
    page.locator("#stats-to").fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    check(page.locator("[role=alert]")).to_contain_text("starts after it ends")
    watch.assert_clean(allow=["favicon", "400 (Bad Request)"])


def test_the_date_picker_from_the_keyboard(open_page, newsroom):
    page, watch = open_page(user=newsroom[0], locale="en-US")
    check = expect()
    page.goto("/curate/stats/")
    wait_drawn(page)
    tab_to(page, "stats-from")
    page.keyboard.type("03012026")  # month, day, year: the en-US date field's segments
    tab_to(page, "stats-to")
    page.keyboard.type("03102026")
    tab_to(page, "stats-show")
    page.keyboard.press("Enter")
    arrive(page, re.compile(r"from=2026-03-01&to=2026-03-10"))
    check(page.locator("#figure-inflow tbody tr")).to_have_count(10)
    wait_drawn(page)
    watch.assert_clean(allow=["favicon"])


# Every line of a tick's label, measured in the font the chart draws it with, against the room
# between its neighbours: a chart whose labels stand upright (no rotation) overlaps where two
# neighbours' halves take more than the distance between their ticks; a chart whose bars lie
# down (a phone), where two neighbours' lines take more than the height between them.
OVERLAPPING_TICKS = """() => Array.from(document.querySelectorAll('canvas[id^=chart-]')).flatMap(c => {
  const chart = Chart.getChart(c), lying = chart.options.indexAxis === 'y';
  const scale = lying ? chart.scales.y : chart.scales.x;
  if (!lying && scale.labelRotation !== 0) return [];
  const font = Chart.helpers.toFont(scale.options.ticks.font);
  chart.ctx.save();
  chart.ctx.font = font.string;
  const sizes = scale.ticks.map(t => lying
    ? [].concat(t.label).length * font.lineHeight
    : Math.max(...[].concat(t.label).map(l => chart.ctx.measureText(String(l)).width)));
  chart.ctx.restore();
  const clashes = [];
  for (let i = 1; i < sizes.length; i++) {
    const room = Math.abs(scale.getPixelForTick(i) - scale.getPixelForTick(i - 1));
    if ((sizes[i - 1] + sizes[i]) / 2 > room) clashes.push([c.id, scale.ticks[i - 1].label, scale.ticks[i].label]);
  }
  return clashes;
})"""

# A cell of a figure's table whose text is wider than the cell (cut with an ellipsis).
CUT_CELLS = """() => Array.from(document.querySelectorAll('.stats-table th, .stats-table td'))
  .filter(cell => cell.scrollWidth > cell.clientWidth + 1).map(cell => cell.textContent.trim())"""


@pytest.mark.parametrize("javascript", [True, False])
def test_no_chart_label_overlaps_and_no_table_cuts_a_word(open_page, newsroom, javascript):
    """The heat bands' labels ("Hot (60–79)", "Very hot (80 and above)") were drawn over each
    other, and the tables that are the charts' text alternative cut their headers and bands
    with an ellipsis ("Very hot (80 …", "Editor agr…"), the queue's one-line cells."""
    page, watch = open_page(user=newsroom[0], java_script_enabled=javascript)
    page.goto("/curate/stats/")
    closed = page.locator("details.stats-table:not([open]) summary")
    for _ in range(closed.count()):
        closed.first.click()
    assert page.evaluate(CUT_CELLS) == []
    check = expect()
    check(page.locator("#figure-heat tbody th").last).to_have_text("Very hot (80 and above)")
    if javascript:
        wait_drawn(page)
        assert page.evaluate(OVERLAPPING_TICKS) == []
        page.locator("#figure-heat").screenshot(path=str(ARTIFACTS_DIR / "stats-heat-labels.png"))
    watch.assert_clean(allow=["favicon"])


# Each word of a table's header cells that the browser broke across two lines ("Publi|shed").
BROKEN_WORDS = """() => Array.from(document.querySelectorAll('.stats-table th')).flatMap(cell => {
  const broken = [], walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/[^\\s\\u2013-]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
})"""


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_phone_the_tables_keep_their_words_whole(open_page, newsroom, javascript):
    """At 390 px the tables broke words anywhere to fit: "Publi shed", "Rejec ted", "R ul e",
    "Unk now n". The calibration tables fit whole; a wider one scrolls in its own box."""
    page, watch = open_page(
        user=newsroom[0], java_script_enabled=javascript, viewport={"width": 390, "height": 844}
    )
    page.goto("/curate/stats/")
    closed = page.locator("details.stats-table:not([open]) summary")
    for _ in range(closed.count()):
        closed.first.click()
    assert page.evaluate(BROKEN_WORDS) == []
    for fid in ("quality", "heat"):
        box = page.locator(f"#figure-{fid} .table-scroll")
        assert box.evaluate("b => b.scrollWidth <= b.clientWidth"), fid
        if javascript:
            box.screenshot(path=str(ARTIFACTS_DIR / f"stats-phone-table-{fid}.png"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no page-wide sideways scroll
    if javascript:
        wait_drawn(page)
        # The bands' labels were drawn over each other ("Hot (60–79)Very hot"): the bars lie down.
        assert page.evaluate(OVERLAPPING_TICKS) == []
        assert page.evaluate("() => Chart.getChart(document.getElementById('chart-heat')).options.indexAxis") == "y"
        page.locator("#figure-heat").screenshot(path=str(ARTIFACTS_DIR / "stats-phone-heat-chart.png"))
        assert axe_violations(page, impacts=None) == []
        # The per-day decisions, a column per reason, scroll sideways: from the keyboard too.
        wide = page.locator("#figure-decisions .table-scroll")
        assert wide.evaluate("b => b.scrollWidth > b.clientWidth")
        wide.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('#figure-decisions .table-scroll').scrollLeft > 0")
    watch.assert_clean(allow=["favicon"])


def test_a_figure_with_nothing_in_the_range_says_so_instead_of_drawing_empty_axes(open_page, newsroom):
    """A range without rule decisions (or without anything) drew each chart's bare axes."""
    page, watch = open_page(user=newsroom[0])
    page.goto("/curate/stats/?from=2001-01-01&to=2001-01-31")
    wait_drawn(page)
    check = expect()
    for fid in ("rules", "editors", "inflow"):
        check(page.locator(f"#figure-{fid} .chart-box")).to_be_hidden()
        check(page.locator(f"#figure-{fid} .nothing-to-chart")).to_have_text("Nothing to chart in this range.")
    assert axe_violations(page, impacts=None) == []
    page.goto("/curate/stats/")
    wait_drawn(page)
    check(page.locator("#figure-inflow .chart-box")).to_be_visible()
    check(page.locator("#figure-inflow .nothing-to-chart")).to_have_count(0)
    watch.assert_clean(allow=["favicon"])
