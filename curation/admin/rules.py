"""Triage rules for admins: the rules (saved through the rules service, so every save is a
version), their versions (read-only), the kill switch, and the flags rules raised."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils import timezone

from curation.forms import StrictJSONField
from curation.models import ArticleFlag, Rule, RulesSwitch, RuleVersion
from curation.services import rules
from curation.services.rule_conditions import RuleDefinitionError, validate_definition
from curation.validation import visible_name


class RuleAdminForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["name", "enabled", "position", "definition"]
        field_classes = {"definition": StrictJSONField}
        help_texts = {
            "definition": 'JSON: {"when": {"quality_min": 70}, "action": "publish"}; see the README, “Triage rules”.'
        }

    # The version the form was opened at: another admin's save since then is not overwritten.
    expected_version = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["expected_version"] = self.instance.version

    def clean_expected_version(self):
        seen = self.cleaned_data["expected_version"]
        if self.instance.pk and seen is not None:
            now = Rule.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if now != seen:
                raise forms.ValidationError(
                    f"Someone else saved this rule since you opened it (version {now}); reload the page to see "
                    "their change, then make yours again."
                )
        return seen

    def clean_name(self):
        name = visible_name(self.cleaned_data.get("name") or "")
        if not name:
            raise forms.ValidationError("A rule needs a name (with visible characters).")
        return name

    def clean_definition(self):
        try:
            definition = validate_definition(self.cleaned_data["definition"])
        except RuleDefinitionError as exc:
            raise forms.ValidationError(str(exc)) from None
        # A merged topic or provider named: the kept one's, said when saved (RuleAdmin.save_model).
        definition, self.renamed = rules.with_kept_names(definition)
        return definition


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    fields = ["version", "name", "enabled", "definition", "created_at", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleAdminForm
    list_display = ["position", "name", "enabled", "version", "updated_at"]
    list_display_links = ["name"]
    list_editable = []
    ordering = ["position", "id"]
    inlines = [RuleVersionInline]

    def save_model(self, request, obj, form, change):
        saved = rules.save_rule(
            rule=obj if change else None,
            name=obj.name,
            definition=obj.definition,
            enabled=obj.enabled,
            user=request.user,
            position=obj.position,
            expected_version=form.cleaned_data.get("expected_version") if change else None,
        )
        obj.pk, obj.version = saved.pk, saved.version
        for note in getattr(form, "renamed", ()):
            self.message_user(request, note, messages.WARNING)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form checked the version and the name; another admin's save between that check
        # and this one (the admin's transaction is rolled back whole) is told, not a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except rules.RuleSaveError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(RulesSwitch)
class RulesSwitchAdmin(admin.ModelAdmin):
    """The kill switch: untick to stop every rule at once (the RULES_ENABLED setting can too)."""

    list_display = ["__str__", "enabled", "changed_at", "changed_by"]
    fields = ["enabled"]

    def has_add_permission(self, request):
        return False  # one row, made by the migration (or here, if it went missing)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        rules.rules_switch()
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        obj.pk, obj.changed_at, obj.changed_by = 1, timezone.now(), request.user
        super().save_model(request, obj, form, change)


@admin.register(ArticleFlag)
class ArticleFlagAdmin(admin.ModelAdmin):
    """The flags rules and the importer raised: history, read-only. An editor clears an
    item's flag in the curator (services.rule_actions.clear_flag, audited); deleting the row
    here cleared nothing (the article keeps its flagged_at and note, the queue still shows it)
    and lost the record without an audit row."""

    list_display = ["created_at", "article", "rule_name", "rule_version", "note"]
    list_select_related = ["article"]
    raw_id_fields = ["article", "rule"]
    readonly_fields = ["article", "rule", "rule_name", "rule_version", "note", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
