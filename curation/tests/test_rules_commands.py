"""Triage rules from the command line and at the end of an import: apply_rules, dump_rules,
load_rules (YAML is untrusted input: property-based tests through the whole path)."""

import importlib
import json
import os
import re
import threading
from io import StringIO

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, ArticleFlag, EditorialAction, Rule, RulesSwitch
from curation.services import rule_files, rules
from curation.services.importing import import_seed_files
from curation.services.rule_conditions import CONDITIONS, validate_definition
from curation.tests.factories import make_article, seed_text, valid_front_matter
from curation.validation import visible_name

pytestmark = pytest.mark.django_db

EXAMPLE_FILE = """\
- name: Strong stories go live
  enabled: true
  when: {quality_min: 70, heat_unknown: true}
  action: publish
- name: Off-topic crypto
  when: {title_matches: "(?i)\\\\b(bitcoin|crypto)\\\\b"}
  action: reject
  reason: off-topic
"""


@pytest.fixture(autouse=True)
def setup(db):
    importlib.import_module("curation.migrations.0012_rejection_reasons").add_default_reasons(apps, None)
    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    Rule.objects.all().delete()


def run(command, *args):
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_load_then_dump_round_trips_the_issues_format(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(EXAMPLE_FILE)
    out, _ = run("load_rules", str(path))
    assert "2 created" in out
    crypto = Rule.objects.get(name="Off-topic crypto")
    assert crypto.enabled is False and crypto.definition["reason"] == "off-topic"
    assert crypto.definition["when"]["title_matches"] == "(?i)\\b(bitcoin|crypto)\\b"
    dumped, _ = run("dump_rules")
    reloaded = yaml.safe_load(dumped)
    assert [item["name"] for item in reloaded] == ["Strong stories go live", "Off-topic crypto"]
    path.write_text(dumped)
    out, _ = run("load_rules", str(path))
    assert "2 unchanged" in out and Rule.objects.get(name="Off-topic crypto").version == 1


def test_a_bad_file_changes_nothing_and_names_the_rule_and_field(tmp_path):
    rules.save_rule(name="Keep me", definition=validate_definition({"when": {}, "action": "flag", "note": "x"}), enabled=True)
    path = tmp_path / "rules.yaml"
    path.write_text(EXAMPLE_FILE + "- name: Broken\n  when: {title_matches: '(unclosed'}\n  action: publish\n")
    with pytest.raises(CommandError) as caught:
        run("load_rules", str(path), "--replace")
    assert "rule 3 (“Broken”), field when.title_matches" in str(caught.value)
    assert list(Rule.objects.values_list("name", flat=True)) == ["Keep me"]


def test_replace_deletes_the_rules_the_file_does_not_name_and_order_follows_the_file(tmp_path):
    rules.save_rule(name="Old", definition=validate_definition({"when": {}, "action": "flag", "note": "x"}), enabled=True)
    path = tmp_path / "rules.yaml"
    path.write_text(EXAMPLE_FILE)
    run("load_rules", str(path))
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["Strong stories go live", "Off-topic crypto", "Old"]
    run("load_rules", str(path), "--replace")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["Strong stories go live", "Off-topic crypto"]


def test_a_rule_matching_everything_loads_with_a_warning(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("- name: Everything\n  action: flag\n  note: all of it\n")
    _, err = run("load_rules", str(path))
    assert "matches every item" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not: a list", "must be a list"),
        ("- just text", "rule 1: must be a mapping"),
        ("- {name: A, action: publish, colour: red}", "rule 1 (“A”), field colour: unknown field"),
        ("- {action: publish}", "rule 1, field name"),
        ("- {name: A, action: publish}\n- {name: A, action: publish}", "rule 2 (“A”), field name"),
        ("- {name: A, action: publish, enabled: maybe}", "field enabled"),
        ("- {name: A, action: reject, reason: nope}", "field reason"),
        ("- &a {name: A, action: publish}\n- *a", "aliases"),
        ("- {name: A, action: publish, when: {quality_min: 1:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0}}", "when.quality_min: must be between"),
        ("[", "not readable YAML"),
    ],
)
def test_bad_files(text, message):
    with pytest.raises(rule_files.RulesFileError, match=re.escape(message)):
        rule_files.load(text)
    assert not Rule.objects.exists()


def test_a_file_that_is_not_utf8_or_too_large():
    with pytest.raises(rule_files.RulesFileError, match="UTF-8"):
        rule_files.load(b"- name: \xff\n")
    with pytest.raises(rule_files.RulesFileError, match="larger"):
        rule_files.load(b"#" * (rule_files.MAX_FILE_BYTES + 1))


# --- property-based: generated files through the whole path ---------------------------------

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=30)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), names, st.floats(allow_nan=False))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4), max_leaves=8)
conditions = st.dictionaries(st.sampled_from(CONDITIONS) | names, values, max_size=5)
rule_items = st.fixed_dictionaries(
    {"name": names, "action": st.sampled_from(["publish", "reject", "flag", "add_topic", "delete"]) | values},
    optional={"when": conditions | values, "enabled": values, "reason": values, "note": values, "topic": values},
)
files = st.lists(rule_items, max_size=5)
HYPOTHESIS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPOTHESIS
@given(files)
def test_any_generated_rules_file_loads_whole_or_changes_nothing(items):
    # libyaml's emitter, as dump_rules uses: PyYAML's own writes a NEL as a line break.
    text = yaml.dump(items, Dumper=yaml.CSafeDumper, allow_unicode=True)
    before = list(Rule.objects.values_list("name", "version"))
    try:
        rule_files.load(text, replace=True)
    except rule_files.RulesFileError as exc:
        assert str(exc).startswith(("rule ", "the file", "not readable", "at most"))
        assert list(Rule.objects.values_list("name", "version")) == before
        return
    loaded = list(Rule.objects.in_order())
    assert [rule.name for rule in loaded] == [visible_name(item["name"]) for item in items]
    for rule in loaded:
        validate_definition(rule.definition)  # what was stored is valid
    assert [name for name, _, _ in rule_files.parse(rule_files.dump())] == [rule.name for rule in loaded]  # dumps, loads again


@pytest.mark.parametrize("name", ["Sports\x85Desk", "Sports\u2028Desk", "Sports\u2029Desk", "日本\x85語"])
def test_a_rule_named_with_a_line_separator_dumps_and_loads_again_by_its_name(name):
    rules.save_rule(name=name, definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}), enabled=True)
    text = rule_files.dump()
    Rule.objects.all().delete()
    rule_files.load(text, replace=True)
    assert list(Rule.objects.values_list("name", flat=True)) == [name]


@HYPOTHESIS
@given(st.binary(max_size=300))
def test_any_bytes_are_refused_with_a_message_or_loaded(data):
    try:
        rule_files.load(data)
    except rule_files.RulesFileError:
        pass


# --- apply_rules ------------------------------------------------------------------------


def test_apply_rules_json_has_the_issues_shape_and_dry_run_writes_nothing():
    article = make_article(quality=80)
    make_article(quality=10)
    rules.save_rule(name="strong", definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}), enabled=True)
    out, _ = run("apply_rules", "--json", "--dry-run")
    data = json.loads(out)
    assert data["decisions"] == [{"article": article.pk, "rule": "strong", "action": "publish"}]
    assert data["counts"] == {"strong": {"publish": 1}} and data["dry_run"] is True
    assert Article.objects.get(pk=article.pk).state == "new"
    out, _ = run("apply_rules", "--json")
    assert json.loads(out)["counts"] == {"strong": {"publish": 1}}
    assert Article.objects.get(pk=article.pk).state == "published"


def test_apply_rules_one_rule_the_cap_and_an_unknown_name():
    for _ in range(3):
        make_article(quality=80)
    rules.save_rule(name="strong", definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}), enabled=False)
    out, err = run("apply_rules", "--rule", "strong", "--max-decisions", "2")
    assert "“strong” acted: 2 publish" in out and "cap of 2" in err
    with pytest.raises(CommandError, match="no rule named 'nope'"):
        run("apply_rules", "--rule", "nope")


def test_apply_rules_says_when_rules_are_off(settings):
    settings.RULES_ENABLED = False
    out, _ = run("apply_rules")
    assert "No rule ran: rules are off (the RULES_ENABLED setting)" in out


# --- the end of an import ---------------------------------------------------------------


def write_seeds(folder, seeds):
    folder.mkdir(parents=True, exist_ok=True)
    for n, front in seeds.items():
        (folder / f"{n}.md").write_text(seed_text(body=f"Body {n}", **front))


def test_an_import_runs_the_rules_on_its_new_items_and_reports_counts_per_rule(tmp_path):
    rules.save_rule(name="strong", definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}), enabled=True)
    rules.save_rule(name="flag low", definition=validate_definition({"when": {"quality_max": 45}, "action": "flag", "note": "weak"}), enabled=True)
    old = make_article(quality=99)  # already in the queue: an import's rules leave it alone
    write_seeds(tmp_path, {1: valid_front_matter(1, quality=80), 2: valid_front_matter(2, quality=3), 3: valid_front_matter(3, quality=60)})
    out, _ = run("import_seeds", str(tmp_path), "--json", "--workers", "0")
    report = json.loads(out)["rules"]
    assert report["counts"] == {"strong": {"publish": 1}, "flag low": {"flag": 1}}
    assert report["stopped"] is None and report["disabled"] is None
    assert Article.objects.get(pk=old.pk).state == "new"
    assert Article.objects.filter(state="published").count() == 1


def test_import_no_rules_and_the_text_summary(tmp_path):
    rules.save_rule(name="strong", definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}), enabled=True)
    write_seeds(tmp_path / "a", {1: valid_front_matter(1, quality=80)})
    run("import_seeds", str(tmp_path / "a"), "--no-rules", "--workers", "0")
    assert not Article.objects.filter(state="published").exists()
    write_seeds(tmp_path / "b", {2: valid_front_matter(2, quality=80)})
    out, _ = run("import_seeds", str(tmp_path / "b"), "--workers", "0")
    assert "Rules: strong: 1 publish." in out


def test_a_source_change_after_a_rule_published_an_item_flags_it_and_never_unpublishes(tmp_path):
    rules.save_rule(name="strong", definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}), enabled=True)
    write_seeds(tmp_path, {1: valid_front_matter(1, quality=80)})
    import_seed_files([tmp_path], workers=0)
    article = Article.objects.get()
    assert article.state == "published"
    write_seeds(tmp_path, {1: valid_front_matter(1, quality=80, title="A changed headline")})
    report = import_seed_files([tmp_path], workers=0)
    article.refresh_from_db()
    assert article.state == "published" and report.rules["source_changed_flags"] == 1
    assert "source changed after rule “strong” v1" in article.flag_note
    flag = EditorialAction.objects.get(article=article, action="flag")
    assert (flag.via, flag.actor) == ("import", None)
    assert ArticleFlag.objects.filter(article=article).count() == 1


def test_the_import_end_is_audited_via_rule(tmp_path):
    rules.save_rule(name="strong", definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}), enabled=True)
    write_seeds(tmp_path, {1: valid_front_matter(1, quality=80, publishedDateTime=timezone.now().isoformat())})
    import_seed_files([tmp_path], workers=0)
    row = EditorialAction.objects.get(action="publish")
    assert (row.via, row.actor_id, row.rule_name, row.rule_version) == ("rule", None, "strong", 1)


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_load_rules_refuses_what_is_not_a_regular_file_at_once(tmp_path, kind):
    # Opening a FIFO waited for a writer forever: load_rules hung.
    path = {"fifo": tmp_path / "rules.yaml", "folder": tmp_path, "device": "/dev/zero"}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(pytest.raises(CommandError, run, "load_rules", str(path))))
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the test's own thread before failing
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        worker.join()
        pytest.fail("load_rules waited on a FIFO")
    (error,) = outcome
    assert error.value.returncode == 2 and not Rule.objects.exists()


def test_a_rule_name_in_an_error_is_shown_printable(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text('- name: "x\\u202e\\nrule 2"\n  action: nonsense\n')
    with pytest.raises(CommandError) as error:
        run("load_rules", str(path))
    assert "(“x\\u202e\\nrule 2”)" in str(error.value)


@HYPOTHESIS
@given(items=st.lists(rule_items, min_size=1, max_size=3), data=st.data())
def test_a_key_written_twice_in_one_mapping_is_refused_not_half_read(items, data):
    """`when: {quality_min: 70, quality_min: 0}`, `title_matches` twice, `action` twice:
    YAML keeps the last value silently, so a rule loaded without a condition its author wrote
    (and published what it should not). Any generated file with one key of a mapping written
    twice is refused with both lines, and nothing changes."""
    text = yaml.dump(items, Dumper=yaml.CSafeDumper, allow_unicode=True, default_flow_style=False, width=10**6)
    lines = text.splitlines()
    # A rule's own keys: "- key: ..." (its first) or "  key: ..."; written again at the end of its item.
    keyed = [n for n, line in enumerate(lines) if re.match(r"(- |  )[a-z_]+:", line)]
    n = data.draw(st.sampled_from(keyed))
    key = lines[n][2:].split(":", 1)[0]
    end = next((m for m in range(n + 1, len(lines)) if lines[m].startswith("- ")), len(lines))
    lines.insert(end, f"  {key}: null")
    before = list(Rule.objects.values_list("name", "version"))
    with pytest.raises(rule_files.RulesFileError, match=f"appears twice in one mapping \\(lines {n + 1} and {end + 1}\\)"):
        rule_files.load("\n".join(lines) + "\n", replace=True)
    assert list(Rule.objects.values_list("name", "version")) == before
