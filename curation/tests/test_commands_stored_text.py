"""Stored text in the commands' reports: a title, a rule's name, a label quoted in a line of
publish_scheduled, apply_rules, load_rules or curation_stats is one line of printable text.

An imported title may hold a newline, an escape sequence (`\\x1b[31m` colours the operator's
terminal, `\\x1b]0;...` sets its title) or a bidirectional override; so may a rule's name
(a rules file may name a rule so). Printed as they were, such a title forged a line of
publish_scheduled's report ("recorded: #1 went live ...") that cron mails to the operator.
They are shown escaped (`\\n`, `\\x1b`, `\\u202e`), as import_seeds shows file names.
"""

import datetime as dt
import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.management.commands.curation_stats import _text_table
from curation.services import rules, scheduling
from curation.services.rule_conditions import validate_definition
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db

SIX = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
SEVEN = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
EIGHT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

FORGED = "Budget\nrecorded: #1 went live at 2020-01-01 00:00:00 UTC: fake \x1b[31mred\x1b[0m \u202eevil\x1b]0;owned\x07"


@pytest.fixture
def clock_start():
    return SIX


def run(command, *args, **options):
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def assert_plain_lines(text):
    for line in text.splitlines():
        assert line.isprintable(), repr(line)


def test_publish_scheduled_shows_a_hostile_title_on_its_own_line_escaped(clock, editor):
    article = make_article(title=FORGED)
    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN, expire_at=EIGHT)
    clock.move_to(EIGHT + dt.timedelta(minutes=1))

    for options in ({"dry_run": True}, {"verbosity": 2}):
        out, _err = run("publish_scheduled", **options)
        lines = out.splitlines()
        assert len(lines) == 3, lines  # went live, expired, the counts
        assert_plain_lines(out)
        assert lines[0].endswith("UTC: Budget\\nrecorded: #1 went live at 2020-01-01 00:00:00 UTC: fake \\x1b[31mred\\x1b[0m \\u202eevi")


@pytest.fixture
def reasons(db):
    importlib.import_module("curation.migrations.0012_rejection_reasons").add_default_reasons(apps, None)


def test_apply_rules_and_load_rules_show_a_hostile_rule_name_escaped(tmp_path, reasons):
    make_article(title="Quarterly budget", quality=80)
    name = "Strong\n“other” acted: 999 publish\x1b[2J"
    rules.save_rule(name=name, definition=validate_definition({"when": {"quality_min": 70}, "action": "flag", "note": "x"}), enabled=True)

    out, err = run("apply_rules", "--dry-run", verbosity=2)
    assert_plain_lines(out + err)
    assert "\\n“other” acted: 999 publish\\x1b[2J” would act: 1 flag" in out

    path = tmp_path / "rules.yaml"
    path.write_text('- name: "Every\\nthing\\x1b[2J"\n  enabled: false\n  when: {}\n  action: flag\n  note: y\n')
    out, err = run("load_rules", str(path))
    assert_plain_lines(out + err)
    assert "warning: rule “Every\\nthing\\x1b[2J” has no conditions" in err


def test_import_seeds_names_a_hostile_rule_escaped_in_its_rules_line(tmp_path, reasons):
    from curation.models import RulesSwitch
    from curation.tests.factories import seed_text, valid_front_matter
    from curation.tests.test_import import run_import, write

    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    name = "Strong\nRules: fake line\x1b[2J"
    definition = validate_definition({"when": {"quality_min": 70}, "action": "publish"})
    rules.save_rule(name=name, definition=definition, enabled=True)
    write(tmp_path, "one.md", seed_text(**valid_front_matter(1, quality=80)))
    code, out, err = run_import(tmp_path, no_progress=True, workers=0)
    assert code == 0, err
    assert_plain_lines(out + err)
    assert "Rules: Strong\\nRules: fake line\\x1b[2J: 1 publish." in out


def test_curation_stats_table_shows_stored_labels_on_one_line_each():
    table = _text_table(["Rule", "Decided"], [["Strong\nFake row  999", 3], ["\x1b[31mRed", None]])
    lines = table.splitlines()
    assert len(lines) == 3
    assert_plain_lines(table)
    assert lines[1].startswith("Strong\\nFake row  999")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(min_size=1, max_size=120).filter(lambda t: "\x00" not in t and t.strip()))
def test_any_title_is_one_printable_line_of_publish_scheduleds_report(clock, editor, title):
    article = make_article(title=title)
    clock.move_to(SIX)
    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN)
    clock.move_to(SEVEN + dt.timedelta(minutes=1))
    out, _err = run("publish_scheduled", dry_run=True)
    # Earlier examples' items are due too (the database is the test's): one line each.
    assert_plain_lines(out)
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith(f"would record: #{article.pk} went live at ")]) == 1
    assert len(lines) == len([line for line in lines if line.startswith("would record: #")]) + 1
