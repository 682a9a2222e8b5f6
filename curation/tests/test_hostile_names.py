"""Names that show nothing: a topic, a provider or a title made only of zero-width spaces,
byte order marks, joiners, bidirectional controls, other format characters, spaces of any
kind, Hangul fillers or combining marks alone. Each used to become a topic (a public page
with an empty-looking name and a `topic-<hash>` slug) or a provider with a blank name. One
rule (curation.validation.visible_name) everywhere a name is written: the import drops such
a topic with a note and takes such a provider as none; editors, the admin and triage rules
are refused; invisible characters at either end of a name are taken off."""

import importlib
import re
import unicodedata

import pytest
from django.apps import apps
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.models import ImportLedgerEntry, Provider, RejectionReason, Rule, Topic
from curation.seedformat import parse_seed
from curation.seedformat.values import SeedError
from curation.services import editorial, taxonomy
from curation.services.rule_conditions import RuleDefinitionError, validate_definition
from curation.tests.factories import complete_body_only, make_article, make_user, seed_text, valid_front_matter
from curation.tests.test_import import run_import, write
from curation.validation import visible_name

INVISIBLE = ["\u200b", "\ufeff", "\u200b\u200d\u2060", "\u00a0\u3000", "\u3164", "\u202e\u202c", "\u0301", "\u2028"]
invisible_text = st.text(
    alphabet=st.one_of(
        st.characters(categories=["Cf", "Zs", "Zl", "Zp", "Cc"], exclude_characters="\x00"),
        st.sampled_from("\u115f\u1160\u3164\uffa0\u2800\u0301\u20dd"),
    ),
    min_size=1,
    max_size=8,
)


def around(invisible):
    """`invisible` without what stays beside a name: combining marks (they could combine
    with the name's first letter) and tag characters (they end an emoji flag)."""
    return "".join(
        c for c in invisible if unicodedata.category(c) not in ("Mn", "Me") and not 0xE0020 <= ord(c) < 0xE0080
    )


@settings(max_examples=500, deadline=None)
@given(invisible_text, st.sampled_from(["Science", "Zap0!", "日本", "❤️"]))
def test_visible_name(invisible, name):
    assert visible_name(invisible) == ""
    assert visible_name(around(invisible) + name + around(invisible)) == name


def parse(**overrides):
    return parse_seed(seed_text(body="Body.", **valid_front_matter(**overrides)).encode())


@settings(max_examples=200, deadline=None)
@given(invisible_text)
def test_a_seed_topic_or_provider_that_shows_nothing_is_dropped(invisible):
    parsed = parse(topics=[invisible, "Science", f"Climate{around(invisible)}"], provider={"name": invisible})
    assert parsed.topics == ["Science", "Climate"]
    assert parsed.provider is None
    if invisible.strip():  # a blank name was always skipped without a word
        assert "a name of only invisible characters" in " ".join(parsed.notes)
    with_domain = parse(provider={"name": invisible, "domain": "times.example"})
    assert with_domain.provider.name == "times.example"


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_a_seed_title_that_shows_nothing_fails_the_file(invisible):
    with pytest.raises(SeedError, match="is empty|shows nothing") as caught:
        parse(title=invisible)
    assert caught.value.field == "title"


@pytest.mark.django_db
def test_the_import_creates_no_topic_that_shows_nothing(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, topics=INVISIBLE + ["Science"])))
    code, _, _ = run_import(tmp_path)
    assert code == 0
    assert list(Topic.objects.values_list("name", flat=True)) == ["Science"]
    assert "invisible" in ImportLedgerEntry.objects.get().notes


@pytest.mark.django_db
@pytest.mark.parametrize("invisible", INVISIBLE)
def test_the_services_skip_names_that_show_nothing(invisible):
    assert taxonomy.ensure_topics([invisible, f"{around(invisible)}Science"]).keys() == {"Science"}
    assert taxonomy.ensure_provider(invisible, "") is None
    assert Topic.objects.count() == 1 and not Provider.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("invisible", INVISIBLE)
def test_editors_cannot_give_a_name_that_shows_nothing(invisible):
    editor = make_user(role="editor")
    article = make_article(topics=["Science"])
    with pytest.raises(editorial.InvalidEdit) as caught:
        editorial.edit_article(article=article, user=editor, title=invisible)
    assert "title" in caught.value.errors
    editorial.edit_article(article=article, user=editor, topics=[invisible, "Science"], create_topics=[invisible])
    assert list(article.topics.values_list("name", flat=True)) == ["Science"]
    with pytest.raises(editorial.InvalidEdit) as caught:
        complete_body_only(editor, provider_name=invisible)
    assert "provider" in str(caught.value)
    assert not Topic.objects.exclude(name="Science").exists()


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_a_rule_cannot_add_a_topic_that_shows_nothing(invisible):
    with pytest.raises(RuleDefinitionError, match="must not be empty|shows nothing"):
        validate_definition({"when": {"title_matches": "x"}, "action": "add_topic", "topic": invisible})
    cleaned = validate_definition(
        {"when": {"title_matches": "x"}, "action": "add_topic", "topic": f"{around(invisible)}AI"}
    )
    assert cleaned["topic"] == "AI"


@pytest.mark.django_db
@pytest.mark.parametrize("invisible", INVISIBLE[:4])
def test_the_admin_refuses_names_that_show_nothing(client, invisible):
    client.force_login(make_user(role="superuser"))
    reasons = RejectionReason.objects.count()
    for path, data in [
        ("/admin/curation/topic/add/", {"name": invisible, "slug": "blank"}),
        ("/admin/curation/provider/add/", {"name": invisible, "domain": ""}),
        ("/admin/curation/rejectionreason/add/", {"label": invisible, "code": "blank", "position": 9}),
    ]:
        response = client.post(path, data)
        assert response.status_code == 200, path  # the form again, with its error
        assert re.search("shows nothing|This field is required", response.content.decode()), path
    assert not Topic.objects.exists() and not Provider.objects.exists()
    assert RejectionReason.objects.count() == reasons
    response = client.post("/admin/curation/topic/add/", {"name": f"{invisible}Science", "slug": "science"})
    assert response.status_code == 302
    assert Topic.objects.get().name == "Science"


@pytest.mark.django_db
@pytest.mark.parametrize("invisible", INVISIBLE[:4])
def test_a_rule_name_that_shows_nothing_is_refused_everywhere(client, invisible):
    from curation.services import rule_files

    text = f'- name: "{invisible}"\n  action: flag\n  note: n\n  when: {{quality_min: 1}}\n'
    with pytest.raises(rule_files.RulesFileError, match="a rule needs a name"):
        rule_files.parse(text)
    assert rule_files.parse(text.replace(invisible, f"{invisible}Strong"))[0][0] == "Strong"
    client.force_login(make_user(role="superuser"))
    rules = Rule.objects.count()
    response = client.post(
        "/curate/rules/new/", {"name": invisible, "action": "flag", "note": "n", "quality_min": "1", "save": "1"}
    )
    assert re.search("needs a name|This field is required", response.content.decode())
    response = client.post(
        "/admin/curation/rule/add/",
        {
            "name": invisible,
            "enabled": "",
            "position": "1",
            "definition": '{"when": {}, "action": "flag", "note": "n"}',
        },
    )
    assert re.search("needs a name|This field is required", response.content.decode())
    assert Rule.objects.count() == rules


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_a_body_only_file_that_shows_nothing_is_empty_and_a_derived_title_shows_something(invisible):
    with pytest.raises(SeedError, match="is empty"):
        parse_seed(f"{invisible}\n\n{invisible} {invisible}\n".encode())
    words = " ".join([invisible] * 5)
    parsed = parse_seed(f"{words}\n\nStorm Imogen battered Wales overnight.\n".encode())
    assert parsed.title == "Storm Imogen battered Wales overnight."


MIGRATION = importlib.import_module("curation.migrations.0022_names_that_show_nothing")


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        invisible_text,
        st.text(max_size=6),
        st.builds("".join, st.lists(st.sampled_from(INVISIBLE + ["a", "日", "\u0301", " "]), max_size=5)),
    )
)
def test_the_migration_keeps_the_rule_of_visible_name(text):
    assert MIGRATION.shows_nothing(text) == (visible_name(text) == "")


@pytest.mark.django_db
def test_the_migration_names_stored_rows_that_show_nothing():
    # Rows as an old database holds them, written before the rule (no service, no form).
    topics = [Topic.objects.create(name=name, slug=f"old-{n}") for n, name in enumerate([*INVISIBLE, ""])]
    # An admin already used the name the first of them would get.
    taken = Topic.objects.create(name=f"Topic {topics[0].pk} (name had no visible characters)", slug="taken")
    providers = [Provider.objects.create(name=name, domain="times.example") for name in INVISIBLE]
    # A provider with a domain is named after it, as the import names one (once a domain).
    named_by_domain = Provider.objects.create(name="\u200b", domain="post.example")
    Provider.objects.create(name="post.example", domain="post.example.mirror")  # another domain
    Provider.objects.create(name="wire.example", domain="wire.example")
    wire = Provider.objects.create(name="", domain="wire.example")  # that name is taken
    bare = Provider.objects.create(name="\u200b", domain="")
    reasons = [RejectionReason.objects.create(code=f"old-{n}", label=name) for n, name in enumerate(INVISIBLE)]
    kept = {
        Topic: [
            Topic.objects.create(name=name, slug=f"kept-{n}").pk
            for n, name in enumerate(["Science", "日本", "❤️", "!", "\u200bNews"])
        ],
        Provider: [Provider.objects.create(name=name).pk for name in ["Times", "日本経済新聞", "\u3164Daily"]],
        RejectionReason: [RejectionReason.objects.create(code="fine", label="Off-topic").pk],
    }
    before = {model: {row.pk: str(row) for row in model.objects.filter(pk__in=pks)} for model, pks in kept.items()}

    MIGRATION.name_rows_that_show_nothing(apps, None)

    assert Topic.objects.get(pk=topics[0].pk).name == f"Topic {topics[0].pk} (name had no visible characters, 2)"
    for topic in topics[1:]:
        topic.refresh_from_db()
        assert (topic.name, topic.slug) == (f"Topic {topic.pk} (name had no visible characters)", topic.slug)
    assert Topic.objects.get(pk=taken.pk).name == taken.name
    first, *others = providers
    first.refresh_from_db()
    assert str(first) == "times.example (times.example)"
    for provider in others:
        provider.refresh_from_db()
        assert str(provider) == f"Provider {provider.pk} (name had no visible characters) (times.example)"
    named_by_domain.refresh_from_db()
    wire.refresh_from_db()
    bare.refresh_from_db()
    assert named_by_domain.name == "post.example"
    assert wire.name == f"Provider {wire.pk} (name had no visible characters)"
    assert bare.name == f"Provider {bare.pk} (name had no visible characters)"
    for reason in reasons:
        reason.refresh_from_db()
        assert (reason.label, reason.code) == (
            f"Rejection reason {reason.pk} (label had no visible characters)",
            reason.code,
        )
    for model, rows in before.items():
        assert {row.pk: str(row) for row in model.objects.filter(pk__in=rows)} == rows
    assert not [name for name in Topic.objects.values_list("name", flat=True) if not visible_name(name)]
    assert not [name for name in RejectionReason.objects.values_list("label", flat=True) if not visible_name(name)]
