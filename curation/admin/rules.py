"""Triage rules for admins: the rules (saved through the rules service, so every save is a
version), their versions (read-only), the kill switch, and the flags rules raised."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from curation.models import ArticleFlag, Rule, RulesSwitch, RuleVersion
from curation.services import rules
from curation.services.rule_conditions import RuleDefinitionError, validate_definition


class RuleAdminForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["name", "enabled", "position", "definition"]
        help_texts = {"definition": 'JSON: {"when": {"quality_min": 70}, "action": "publish"}; see the README, “Triage rules”.'}

    def clean_definition(self):
        try:
            return validate_definition(self.cleaned_data["definition"])
        except RuleDefinitionError as exc:
            raise forms.ValidationError(str(exc)) from None


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
            rule=obj if change else None, name=obj.name, definition=obj.definition, enabled=obj.enabled,
            user=request.user, position=obj.position,
        )
        obj.pk, obj.version = saved.pk, saved.version


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
    list_display = ["created_at", "article", "rule_name", "rule_version", "note"]
    list_select_related = ["article"]
    raw_id_fields = ["article", "rule"]
    readonly_fields = ["article", "rule", "rule_name", "rule_version", "note", "created_at"]

    def has_add_permission(self, request):
        return False
