"""The curator's rule form: one field per condition, turned into a definition checked by
rule_conditions.validate_definition (the same check as the YAML files)."""

import csv
import re

from django import forms

from curation.models import Rule
from curation.selectors_reasons import offered_reasons
from curation.services.rule_conditions import (
    ACTION_LABELS,
    ACTIONS,
    BOOL_CONDITIONS,
    CONDITIONS,
    INT_CONDITIONS,
    LIST_CONDITIONS,
    REGEX_CONDITIONS,
    RuleDefinitionError,
    validate_definition,
)
from curation.services.rules import with_kept_names
from curation.validation import visible_name

YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
# What a pattern may hold, in a rule writer's words: the matcher (RE2) refuses look-around and
# back-references, and a pattern without anchors matches anywhere in the text.
PATTERN_HELP = (
    "For example ferry|harbour: either word, anywhere in the text (capitals count). A pattern "
    "that looks ahead or behind, or repeats an earlier part such as \\1, is refused."
)
# A list condition's names in one text field, comma-separated; a name holding a comma
# ("Arts, culture and entertainment") is written in double quotes, as the form shows it.
NAMES_HELP = 'A name with a comma in it goes in double quotes: "Arts, culture and entertainment".'


def names_text(names):
    """A list condition's names as its field shows them (names_from_text reads them back)."""
    return ", ".join(
        f'"{name.replace(chr(34), chr(34) * 2)}"' if "," in name or name.startswith('"') else name for name in names
    )


def names_from_text(text):
    """The names typed in a list condition's field: comma-separated, quoted where a name
    holds a comma. Raises forms.ValidationError for text that cannot be read so."""
    try:
        (parts,) = csv.reader([text], skipinitialspace=True, strict=True) if text.strip() else ([],)
    except (csv.Error, ValueError):
        raise forms.ValidationError(
            'Names are separated by commas; a name with a comma goes in double quotes ("Arts, culture"): '
            "close the quote, and end the name there."
        ) from None
    return [part.strip() for part in parts if part.strip()]


LABELS = {
    "quality_min": "Quality at least",
    "quality_max": "Quality at most",
    "heat_min": "Heat at least (known heat only)",
    "heat_max": "Heat at most (known heat only)",
    "heat_unknown": "Heat unknown",
    "provider": "Provider (names or domains, comma-separated; any of)",
    "topic": "Topic (comma-separated; any of)",
    "category": "Category (comma-separated; any of)",
    "type": "Type (comma-separated; any of)",
    "title_matches": "Title matches this pattern (regular expression)",
    "text_matches": "Excerpt or body matches this pattern (regular expression)",
    "has_images": "Has images",
    "source_published": "The source's own “published” flag",
    "story_size_min": "Story size at least (articles)",
    "age_max_hours": "Published at most this many hours ago",
}


# The definition's checks speak of conditions by their keys, as a rules file names them
# ("is above quality_max"); the form has no such words, only its labels. Longest first, so
# that "heat_min" inside "heat_min/heat_max" is read whole.
CONDITION_KEYS = re.compile(r"\b(" + "|".join(sorted(LABELS, key=len, reverse=True)) + r")\b")


def in_form_words(message):
    """A definition error as the form says it: each condition key as its field's label
    ("is above “Quality at most”"), without the label's aside in brackets."""
    return CONDITION_KEYS.sub(lambda key: f"“{LABELS[key.group(1)].split(' (')[0]}”", message)


class RuleForm(forms.Form):
    name = forms.CharField(max_length=200)
    enabled = forms.BooleanField(
        required=False, help_text="Only enabled rules run: after each import, and when an administrator runs the rules again."
    )
    action = forms.ChoiceField(choices=[(a, ACTION_LABELS[a]) for a in ACTIONS])
    reason = forms.ChoiceField(required=False, label="Rejection reason (for Reject)")
    note = forms.CharField(required=False, max_length=500, label="Note (for Flag)")
    # Not "topic": that is the condition's field (topic any of).
    topic_to_add = forms.CharField(required=False, max_length=200, label="Topic to add (for Add a topic)")
    confirm_everything = forms.BooleanField(
        required=False, label="Yes, this rule matches every item in the queue: save it anyway"
    )

    # The version the form was opened at: a save by another admin since then is a conflict.
    version = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args, rule=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.fields["reason"].choices = [("", "—")] + [(code, label) for code, label, _ in offered_reasons()]
        for key in CONDITIONS:
            label = LABELS[key]
            if key in INT_CONDITIONS:
                field = forms.IntegerField(required=False, label=label, min_value=-(10**9), max_value=10**9)
            elif key in BOOL_CONDITIONS:
                field = forms.ChoiceField(required=False, label=label, choices=YES_NO)
            elif key in LIST_CONDITIONS:
                field = forms.CharField(required=False, label=label, max_length=5000, help_text=NAMES_HELP)
            else:  # the two patterns: kept as typed (" vs " is not "vs", which matches "canvas")
                field = forms.CharField(
                    required=False, label=label, max_length=1000, help_text=PATTERN_HELP, strip=False
                )
            self.fields[key] = field
        self.definition = None
        self.renamed = []  # sentences: merged names the definition names the kept ones by instead

    @classmethod
    def initial_for(cls, rule):
        definition = rule.definition
        initial = {
            "name": rule.name,
            "enabled": rule.enabled,
            "action": definition.get("action"),
            "version": rule.version,
        }
        for extra, name in (("reason", "reason"), ("note", "note"), ("topic", "topic_to_add")):
            initial[name] = definition.get(extra, "")
        for key, value in definition.get("when", {}).items():
            if key in BOOL_CONDITIONS:
                initial[key] = "yes" if value else "no"
            elif key in LIST_CONDITIONS:
                initial[key] = names_text(value)
            else:
                initial[key] = value
        return initial

    def main_fields(self):
        return [self[key] for key in ("name", "enabled", "action", "reason", "note", "topic_to_add")]

    def condition_fields(self):
        return [self[key] for key in CONDITIONS]

    def clean_name(self):
        name = visible_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("A rule needs a name (with visible characters).")
        others = Rule.objects.filter(name=name)
        if self.rule is not None:
            others = others.exclude(pk=self.rule.pk)
        if others.exists():
            raise forms.ValidationError("Another rule has this name.")
        return name

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        when = {}
        for key in CONDITIONS:
            value = data.get(key)
            if value in (None, ""):
                continue
            if key in BOOL_CONDITIONS:
                when[key] = value == "yes"
            elif key in LIST_CONDITIONS:
                try:
                    names = names_from_text(value)
                except forms.ValidationError as exc:
                    self.add_error(key, exc)
                    continue
                if names:
                    when[key] = names
            elif key in REGEX_CONDITIONS:
                if not value.strip():
                    continue  # only spaces: no condition, as an empty field
                when[key] = value
            else:
                when[key] = value
        if self.errors:  # a list condition that could not be read
            return data
        raw = {"when": when, "action": data.get("action")}
        extra = {"reject": "reason", "flag": "note", "add_topic": "topic"}.get(data.get("action"))
        if extra:
            raw[extra] = data.get("topic_to_add" if extra == "topic" else extra) or ""
        try:
            # A merged topic or provider named: the kept one's name, said in the saved message.
            self.definition, self.renamed = with_kept_names(validate_definition(raw))
        except RuleDefinitionError as exc:
            name = "topic_to_add" if exc.field == "topic" else exc.field.removeprefix("when.")
            # Only the numbers' and yes/no conditions' messages name other conditions; a
            # pattern's or a reason's may quote what was typed, which is left as it is.
            message = in_form_words(exc.message) if name in INT_CONDITIONS + BOOL_CONDITIONS else exc.message
            self.add_error(name if name in self.fields else None, message)
        return data
