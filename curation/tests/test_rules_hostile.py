# ruff: noqa: F811 - the rules pages' fixtures are imported from test_rules_views and requested by name
"""The rules editor driven carelessly or with hostile text (a second hostile pass): what a
rule says survives the form's round trip (open, change something else, save), and a
pattern is kept as written."""

import html
import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from curation.models import Rule
from curation.rule_forms import names_from_text, names_text
from curation.services import rule_files
from curation.services.rule_conditions import RuleDefinitionError, validate_definition
from curation.tests.factories import make_article, make_topic
from curation.tests.hostile_input import fuzz_settings
from curation.tests.test_rules_views import client, rule_editor, setup  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def form_fields(page):
    """What the browser sends for the rule form as the page drew it."""
    fields = {}
    for match in re.finditer(r'<input[^>]*name="(\w+)"[^>]*>', page):
        tag = match.group(0)
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                fields[match.group(1)] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[match.group(1)] = html.unescape(value.group(1)) if value else ""
    for match in re.finditer(r'<select name="(\w+)".*?</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', match.group(0))
        fields[match.group(1)] = chosen.group(1) if chosen else ""
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def edit_note(client, rule, note):
    page = client.get(reverse("curation:rule-edit", args=[rule.pk])).content.decode()
    return client.post(reverse("curation:rule-edit", args=[rule.pk]), {**form_fields(page), "note": note, "save": "1"})


def test_a_topic_with_a_comma_survives_editing_the_rule_in_the_curator(client):
    """A rules file named the topic "Arts, culture and entertainment"; an editor opened the
    rule and changed its note: the save split the topic into "Arts" and "culture and
    entertainment", two names of no topic, and the rule silently matched nothing."""
    topic = make_topic(name="Arts, culture and entertainment")
    flagged = make_article(title="Opera season opens", topics=[topic])
    make_article(title="Ferry timetable")
    rule_files.load('- name: Arts\n  when: {topic: ["Arts, culture and entertainment", AI]}\n  action: flag\n  note: look\n')
    rule = Rule.objects.get(name="Arts")
    assert edit_note(client, rule, "look again").status_code == 302
    rule.refresh_from_db()
    assert rule.definition["when"] == {"topic": ["Arts, culture and entertainment", "AI"]} and rule.version == 2
    # The list shows it as the form reads it, and the preview still finds the item.
    assert "Topic: &quot;Arts, culture and entertainment&quot;, AI" in client.get(reverse("curation:rule-list")).content.decode()
    page = client.get(reverse("curation:rule-edit", args=[rule.pk])).content.decode()
    preview = client.post(reverse("curation:rule-edit", args=[rule.pk]), {**form_fields(page), "preview": "1"})
    assert [article.pk for article in preview.context["preview"].samples] == [flagged.pk]


def test_a_quote_left_open_in_a_list_condition_is_refused_next_to_its_field(client):
    response = client.post(reverse("curation:rule-new"), {"name": "Open", "action": "flag", "note": "x", "topic": '"Arts, culture'})
    assert response.status_code == 400 and not Rule.objects.exists()
    assert "a name with a comma goes in double quotes" in html.unescape(response.content.decode())
    assert "close the quote" in html.unescape(response.content.decode())
    # Text after the closing quote is refused the same way, not read as part of a name.
    response = client.post(reverse("curation:rule-new"), {"name": "Open", "action": "flag", "note": "x", "topic": '"Arts" culture, AI'})
    assert response.status_code == 400 and "close the quote" in html.unescape(response.content.decode())


def test_a_patterns_spaces_are_part_of_it(client):
    """title_matches " vs " was stored as "vs", which matches "canvas"; it is kept as typed."""
    make_article(title="Canvas prices rise")
    response = client.post(
        reverse("curation:rule-new"), {"name": "Versus", "action": "flag", "note": "x", "title_matches": " vs ", "save": "1"}
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.definition["when"] == {"title_matches": " vs "}
    assert validate_definition({"when": {"title_matches": " vs "}, "action": "flag", "note": "x"})["when"] == {"title_matches": " vs "}
    # Through a rules file and back, and through the form again.
    rule_files.load(rule_files.dump())
    assert Rule.objects.get().definition["when"] == {"title_matches": " vs "}
    assert edit_note(client, rule, "y").status_code == 302
    assert Rule.objects.get().definition == {"when": {"title_matches": " vs "}, "action": "flag", "note": "y"}
    # Only spaces is no pattern at all, as an empty field.
    response = client.post(reverse("curation:rule-new"), {"name": "Blank", "action": "flag", "note": "x", "title_matches": "   ", "quality_min": "1000", "save": "1"})
    assert response.status_code == 302
    assert Rule.objects.get(name="Blank").definition["when"] == {"quality_min": 1000}


names = st.lists(
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20).map(str.strip).filter(bool),
    min_size=1, max_size=5, unique=True,
)


@fuzz_settings
@given(names=names)
def test_any_names_read_back_as_the_field_shows_them(names):
    assert names_from_text(names_text(names)) == names


# --- the list's Up and Down ----------------------------------------------------------------


def order():
    return list(Rule.objects.in_order().values_list("name", flat=True))


def move_form(page, rule, direction):
    """The fields of a rule's Up or Down form as the list page drew it."""
    action = reverse("curation:rule-move", args=[rule.pk, direction])
    form = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', page, re.S).group(1)
    return action, dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


@pytest.fixture
def three_rules(db):
    rule_files.load("".join(
        f"- name: {name}\n  when: {{quality_min: {10 + number}}}\n  action: flag\n  note: x\n"
        for number, name in enumerate("ABC")
    ))
    return {rule.name: rule for rule in Rule.objects.all()}


def test_up_pressed_twice_moves_the_rule_one_place(client, three_rules):
    """A double click on "Up" (or the same list in two tabs) moved the rule up two places:
    above a rule the admin never meant it to pass, which then no longer decided first."""
    assert order() == ["A", "B", "C"]
    action, data = move_form(client.get(reverse("curation:rule-list")).content.decode(), three_rules["C"], "up")
    client.post(action, data)
    response = client.post(action, data, follow=True)
    assert order() == ["A", "C", "B"]
    assert "moved up" in html.unescape(response.content.decode())


def test_a_move_on_a_list_reordered_since_is_refused(client, three_rules):
    page = client.get(reverse("curation:rule-list")).content.decode()
    action, data = move_form(page, three_rules["B"], "down")  # B below C, as the page shows
    other_action, other_data = move_form(page, three_rules["A"], "down")
    client.post(other_action, other_data)  # another admin: A below B, so B is now first
    assert order() == ["B", "A", "C"]
    response = client.post(action, data, follow=True)
    assert order() == ["B", "A", "C"]
    assert "The list changed since the page was drawn" in html.unescape(response.content.decode())


# --- the admin's rule form: the definition as JSON -------------------------------------------

UNREADABLE = "This JSON cannot be read"
HOSTILE_DEFINITIONS = {
    # A lone surrogate escape: json.loads takes it; the page showing the form again could not
    # be encoded (UnicodeEncodeError), and a topic name reached the database with it.
    "a note": ('{"when": {"quality_min": 5}, "action": "flag", "note": "x\\ud800"}', UNREADABLE),
    "a pattern": ('{"when": {"title_matches": "a\\ud800"}, "action": "flag", "note": "x"}', UNREADABLE),
    "a topic": ('{"when": {"topic": ["\\udc00"]}, "action": "flag", "note": "x"}', UNREADABLE),
    "a key": ('{"when": {"\\ud800": 1}, "action": "flag", "note": "x"}', UNREADABLE),
    # RecursionError in json.loads, and int()'s 4,300-digit limit: both were 500s.
    "deep nesting": ("[" * 5000 + "]" * 5000, UNREADABLE),
    "a long number": ('{"when": {"quality_min": ' + "9" * 5000 + '}, "action": "flag", "note": "x"}', UNREADABLE),
    "not JSON": ("{when: 1}", "Enter a valid JSON."),
}


def post_admin_rule(client, definition):
    return client.post(
        reverse("admin:curation_rule_add"),
        {"name": "Adm", "enabled": "", "position": "1", "definition": definition,
         "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"},
    )


@pytest.mark.parametrize("case", sorted(HOSTILE_DEFINITIONS))
def test_the_admins_rule_form_refuses_unreadable_json_with_a_reason(superuser_admin, case):
    definition, reason = HOSTILE_DEFINITIONS[case]
    response = post_admin_rule(superuser_admin, definition)
    assert response.status_code == 200 and not Rule.objects.filter(name="Adm").exists()
    assert reason in html.unescape(response.content.decode())


@pytest.mark.parametrize(
    "definition, field",
    [
        ({"when": {"quality_min": 5}, "action": "flag", "note": "x\ud800"}, "note"),
        ({"when": {"title_matches": "a\udfff"}, "action": "flag", "note": "x"}, "when.title_matches"),
        ({"when": {"provider": ["ok", "\ud800"]}, "action": "flag", "note": "x"}, "when.provider"),
        ({"when": {"quality_min": 5}, "action": "add_topic", "topic": "T\ud800"}, "topic"),
    ],
)
def test_a_lone_surrogate_in_any_text_of_a_rule_is_refused_naming_its_field(definition, field):
    """Whichever door a definition comes through (a script, the admin), the service refuses
    it: a pattern's refusal said "check its brackets and backslashes"."""
    with pytest.raises(RuleDefinitionError) as refused:
        validate_definition(definition, reasons=set())
    assert refused.value.field == field and "not valid Unicode" in refused.value.message


json_values = st.recursive(
    st.one_of(
        st.integers(min_value=-(10**6), max_value=10**6).map(str),
        st.sampled_from(['"\\ud800"', '"\\udc00x"', '"ok"', "9" * 4400, "1e999", "NaN", "null", "true", '"\\u0000"']),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.sampled_from(['"when"', '"action"', '"note"', '"quality_min"', '"topic"', '"\\ud800"']), inner), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"
        ),
    ),
    max_leaves=8,
)
json_texts = st.one_of(json_values, st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth))


@fuzz_settings
@given(text=json_texts)
def test_any_definition_text_gives_the_admin_a_page_never_a_500(superuser, text):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    response = post_admin_rule(client, text)
    assert response.status_code in (200, 302)
    Rule.objects.filter(name="Adm").delete()


# --- the curator's rule form with anything typed ----------------------------------------------

patterns = st.one_of(
    st.sampled_from([
        "(?i)\\p{L}+", "\\C+", "(a|aa)*b", "((a{100}){100}){100}", "(x+x+)+y", "\\pN{1000}", "(?P<n>a)(?P=n)",
        "(?<=a)b", "\\1", "[z-a]", "(", "a{1001}", "(?s).*", "|", "^$", "\\Q.*\\E", "[[:word:]]", "\\x{110000}",
        "(?i)" + "|".join(f"word{n}" for n in range(120)), "\\p{Greek}" * 14, " ", "\t", "\ufeff",
    ]),
    st.text(alphabet=st.sampled_from("ab()[]{}|*+?.^$\\1pPLN,-: "), max_size=30),
)
rule_fields = st.fixed_dictionaries(
    {
        "name": st.one_of(st.just("Fuzzed"), st.just("Fuzzed"), st.text(max_size=20)),
        "action": st.sampled_from(["flag", "flag", "flag", "publish", "reject", "add_topic", "x"]),
        "note": st.one_of(st.just("look"), st.text(max_size=30)),
    },
    optional={
        "reason": st.sampled_from(["duplicate", "off-topic", "x", ""]),
        "topic_to_add": st.text(max_size=20), "title_matches": patterns, "text_matches": patterns,
        "topic": st.text(alphabet=st.sampled_from('ab ,"'), max_size=12), "quality_min": st.sampled_from(["5", "-1e9", "9" * 30, ""]),
        "age_max_hours": st.sampled_from(["0", "1000000000", "-1", "²"]), "heat_unknown": st.sampled_from(["yes", "no", "maybe"]),
        "save": st.just("1"), "confirm_everything": st.just("on"),
    },
)


@fuzz_settings
@given(fields=rule_fields)
def test_any_rule_form_gives_a_page_and_a_saved_rule_reads_back_as_saved(client, fields):
    make_article(title="Canvas and ferry and harbour") if not Rule.objects.exists() else None
    response = client.post(reverse("curation:rule-new"), {**fields, "preview": "1"} if "save" not in fields else fields)
    assert response.status_code in (200, 302, 400, 409)
    for rule in Rule.objects.all():
        # What was saved is what a rules file gives back, and what the form shows again.
        assert rule_files.parse(rule_files.dump([rule]))[0][2] == rule.definition
        page = client.get(reverse("curation:rule-edit", args=[rule.pk])).content.decode()
        again = client.post(reverse("curation:rule-edit", args=[rule.pk]), {**form_fields(page), "save": "1", "confirm_everything": "on"})
        assert again.status_code == 302, again.context["form"].errors
        assert Rule.objects.get(pk=rule.pk).definition == rule.definition
        rule.delete()
