"""Rules as YAML, for review in version control and for moving rules between servers.

One list item per rule, in order (README, "Triage rules"):

    - name: Strong stories go live
      enabled: true
      when: {quality_min: 70, topic: [AI]}
      action: publish

A file is untrusted input: it is read with curation.safeyaml (PyYAML's CSafeLoader, with
limits on depth, size and aliases), every rule is validated before anything is written,
and the whole file is loaded in one transaction, so a bad file changes nothing; the error
names the rule and the field at fault.
"""

import yaml
from django.db import transaction
from yaml import CSafeDumper

from curation import safeyaml
from curation.models import RejectionReason, Rule
from curation.seedformat.values import printable
from curation.services import rules as rule_service
from curation.services.rule_conditions import CONDITIONS, RuleDefinitionError, validate_definition
from curation.validation import visible_name

MAX_FILE_BYTES = 1 << 20
MAX_RULES = 1000
RULE_KEYS = ("name", "enabled", "when", "action", "reason", "note", "topic")


class RulesFileError(ValueError):
    """A rules file that cannot be loaded; the message names the rule and field."""


def dump(rules=None):
    """The rules (default: all, in order) as YAML text."""
    rules = Rule.objects.in_order() if rules is None else rules
    items = []
    for rule in rules:
        item = {"name": rule.name, "enabled": rule.enabled}
        definition = rule.definition
        when = {key: definition.get("when", {})[key] for key in CONDITIONS if key in definition.get("when", {})}
        if when:
            item["when"] = when
        item["action"] = definition.get("action")
        for extra in ("reason", "note", "topic"):
            if definition.get(extra):
                item[extra] = definition[extra]
        items.append(item)
    # libyaml's emitter: PyYAML's own writes a NEL (U+0085) unescaped inside a quoted
    # scalar, which reads back as a space, so a rule named with one did not load again.
    return yaml.dump(items, Dumper=CSafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)


def parse(text):
    """[(name, enabled, definition)] from a rules file's text, every rule validated.
    Raises RulesFileError naming the rule and field at fault."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise RulesFileError(f"the file is larger than {MAX_FILE_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RulesFileError(f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if len(text) > MAX_FILE_BYTES:
        raise RulesFileError(f"the file is larger than {MAX_FILE_BYTES} bytes")
    try:
        data = safeyaml.load(text, unique_keys=True)
    except yaml.YAMLError as exc:
        raise RulesFileError(
            f"not readable YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    if data is None:
        data = []
    if not isinstance(data, list):
        raise RulesFileError("the file must be a list of rules (one “- name: ...” item per rule)")
    if len(data) > MAX_RULES:
        raise RulesFileError(f"at most {MAX_RULES} rules in one file")
    reasons = set(RejectionReason.objects.filter(active=True).values_list("code", flat=True))
    parsed, names = [], set()
    for index, item in enumerate(data, start=1):
        label = f"rule {index}"
        if not isinstance(item, dict):
            raise RulesFileError(f"{label}: must be a mapping with name, when and action")
        name = item.get("name")
        if isinstance(name, str):
            name = visible_name(name)  # a name that shows nothing is no name (see visible_name)
        if name:
            label = f"rule {index} (“{printable(str(name)[:80])}”)"
        for key in item:
            if key not in RULE_KEYS:
                raise RulesFileError(f"{label}, field {key}: unknown field (known: {', '.join(RULE_KEYS)})")
        if not isinstance(name, str) or not name:
            raise RulesFileError(f"{label}, field name: a rule needs a name (with visible characters)")
        if len(name) > 200 or "\x00" in name:
            raise RulesFileError(f"{label}, field name: at most 200 characters, no NUL")
        if name in names:
            raise RulesFileError(f"{label}, field name: another rule in the file has this name")
        names.add(name)
        enabled = item.get("enabled", False)
        if not isinstance(enabled, bool):
            raise RulesFileError(f"{label}, field enabled: must be true or false")
        try:
            definition = validate_definition(item, reasons=reasons)
        except RuleDefinitionError as exc:
            raise RulesFileError(f"{label}, field {exc.field}: {exc.message}") from None
        parsed.append((name, enabled, definition))
    return parsed


def _with_kept_names(parsed, summary):
    """The parsed rules naming the kept topics and providers for merged ones (before they are
    compared with the stored rules, which name the kept ones), each change in summary["renamed"]."""
    resolved = []
    for name, enabled, definition in parsed:
        definition, notes = rule_service.with_kept_names(definition)
        summary["renamed"].extend(f"rule “{name}”: {note}" for note in notes)
        resolved.append((name, enabled, definition))
    return resolved


@transaction.atomic
def load(text, *, replace=False, user=None):
    """Load a rules file: rules are matched by name; a changed one gets a new version, an
    unchanged one is left alone, new ones are added; their order becomes the file's, before
    the rules the file does not name. `replace`: delete the rules the file does not name
    (their versions stay, so the audit can still be read). Returns a summary dict."""
    summary = {"created": [], "changed": [], "unchanged": [], "deleted": [], "matches_everything": [], "renamed": []}
    parsed = _with_kept_names(parse(text), summary)
    existing = {rule.name: rule for rule in Rule.objects.select_for_update().in_order()}
    if replace:
        # First, so that the rules going away count against no limit of the ones coming in.
        named = {name for name, _, _ in parsed}
        for name in [name for name in existing if name not in named]:
            existing.pop(name).delete()
            summary["deleted"].append(name)
    for position, (name, enabled, definition) in enumerate(parsed, start=1):
        rule = existing.pop(name, None)
        if not definition["when"]:
            summary["matches_everything"].append(name)
        try:
            if rule is None:
                rule_service.save_rule(name=name, definition=definition, enabled=enabled, user=user, position=position)
                summary["created"].append(name)
            elif rule.definition != definition or rule.enabled != enabled:
                rule_service.save_rule(
                    rule=rule, name=name, definition=definition, enabled=enabled, user=user, position=position
                )
                summary["changed"].append(name)
            else:
                Rule.objects.filter(pk=rule.pk).update(position=position)
                summary["unchanged"].append(name)
        except rule_service.RuleSaveError as exc:
            # Too many patterns enabled, a name taken meanwhile: the whole file is rolled back.
            raise RulesFileError(f"rule {position}: {printable(str(exc))}") from None
    for offset, rule in enumerate(existing.values(), start=len(parsed) + 1):
        Rule.objects.filter(pk=rule.pk).update(position=offset)
    return summary
