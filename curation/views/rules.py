"""The curator's triage rules pages (/curate/rules/): the list in order, enable or disable,
move up or down, and the form with its preview. Plain HTML forms (no JavaScript needed);
the preview is a button of the form, so nothing is saved before the editor has seen it.

Thin: the form checks the definition (rule_forms), the preview reads (selectors_rules), the
service saves a new version (services.rules)."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from curation import selectors_reasons
from curation.forms import open_at
from curation.models import Rule
from curation.params import parse_id
from curation.rule_forms import LABELS, RuleForm, names_text
from curation.selectors_rules import preview as preview_rule
from curation.services import rule_actions, rules
from curation.services.editorial import EditorialError
from curation.services.rule_conditions import ACTION_LABELS, CompiledRule
from curation.views.common import article_form_post, detail_url, fail

RULES_PERMISSION = "curation.change_rule"


def rules_permission(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm(RULES_PERMISSION):
            # Said with the way in: an editor who followed a link here learns whom to ask.
            raise PermissionDenied(
                "Triage rules are managed by the people an administrator allowed to (the “Can change rule” "
                "permission): ask one if you need to."
            )
        return view(request, *args, **kwargs)

    return wrapper


def describe(definition):
    """The conditions in words, for the list."""
    parts = []
    for key, value in definition.get("when", {}).items():
        shown = (
            names_text(value)
            if isinstance(value, list)
            else ("yes" if value is True else "no" if value is False else value)
        )
        parts.append(f"{LABELS[key].split(' (')[0]}: {shown}")
    return parts or ["every item (no conditions)"]


def action_text(definition):
    """The action in words: a rejection's reason by its label, as editors pick it ("Reject
    (Low quality)"; the list said "Reject (low-quality)", the reason's code)."""
    action = definition.get("action", "")
    reason = definition.get("reason")
    extra = selectors_reasons.reason_labels().get(reason, reason) if reason else ""
    extra = extra or definition.get("note") or definition.get("topic") or ""
    return f"{ACTION_LABELS.get(action, action)}{f' ({extra})' if extra else ''}"


@rules_permission
def rule_list(request):
    ordered = list(Rule.objects.in_order())
    items = [
        {
            "rule": rule,
            "conditions": describe(rule.definition),
            "action": action_text(rule.definition),
            # The rules its Up and Down move it past, as this page shows them (rules.move_rule).
            "above": ordered[index - 1].pk if index else "",
            "below": ordered[index + 1].pk if index + 1 < len(ordered) else "",
        }
        for index, rule in enumerate(ordered)
    ]
    return render(
        request, "curation/rules/rule_list.html", {"items": items, "disabled_reason": rules.disabled_reason()}
    )


@rules_permission
@require_POST
def rule_move(request, pk, direction):
    if direction not in ("up", "down"):
        raise Http404("No such move.")
    rule = get_object_or_404(Rule, pk=pk)
    try:
        rules.move_rule(rule, -1 if direction == "up" else 1, past=parse_id(request.POST.get("past")))
    except rules.RuleSaveError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{rule.name}” moved {direction}.")
    return redirect("curation:rule-list")


@rules_permission
@require_POST
def rule_toggle(request, pk):
    rule = get_object_or_404(Rule, pk=pk)
    # The button says which state it asks for, so that two admins (or a double click) both
    # disabling a rule leave it disabled instead of flipping it twice.
    wanted = {"1": True, "0": False}.get(request.POST.get("enabled"), not rule.enabled)
    try:
        rule = rules.set_enabled(rule, wanted, user=request.user)
    except rules.RuleSaveError as exc:
        messages.error(request, str(exc))
        return redirect("curation:rule-list")
    messages.success(request, f"“{rule.name}” {'enabled' if rule.enabled else 'disabled'} (version {rule.version}).")
    return redirect("curation:rule-list")


@rules_permission
def rule_form(request, pk=None):
    rule = get_object_or_404(Rule, pk=pk) if pk is not None else None
    preview = None
    confirm_needed = False
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST, rule=rule)
        if form.is_valid():
            compiled = CompiledRule(
                rule_id=rule.pk if rule else None, name=form.cleaned_data["name"], version=0, definition=form.definition
            )
            preview = preview_rule(compiled)
            if "save" in request.POST:
                if preview.matches_everything and not form.cleaned_data.get("confirm_everything"):
                    confirm_needed = True
                    form.add_error(
                        "confirm_everything",
                        "This rule matches every item in the queue. Tick the box to save it anyway.",
                    )
                    status = 400
                else:
                    try:
                        saved = rules.save_rule(
                            rule=rule,
                            name=form.cleaned_data["name"],
                            definition=form.definition,
                            enabled=form.cleaned_data["enabled"],
                            user=request.user,
                            expected_version=form.cleaned_data["version"] if rule else None,
                        )
                    except rules.RuleSaveError as exc:
                        form.add_error(exc.field, str(exc))
                        status = 409 if exc.conflict else 400
                    else:
                        messages.success(
                            request, " ".join([f"Rule “{saved.name}” saved (version {saved.version}).", *form.renamed])
                        )
                        return redirect("curation:rule-list")
        else:
            status = 400
    else:
        form = RuleForm(initial=RuleForm.initial_for(rule) if rule else {"enabled": False}, rule=rule)
    if request.method == "GET" or form.errors:
        # A refused save came back at the page's top, the field the error is about (a
        # pattern, say) below the fold and nothing said in sight: it has the focus now.
        open_at(form, "name")
    return render(
        request,
        "curation/rules/rule_form.html",
        {"form": form, "rule": rule, "preview": preview, "confirm_needed": confirm_needed},
        status=status,
    )


@article_form_post(forms.Form)
def article_clear_flag(request, article, form):
    """An editor dismisses a rule's flag on an item (the note stays in its history). Like
    every act on one article: an item gone since the page was drawn is a 404, and the
    service's refusal a message, not a server error."""
    try:
        rule_actions.clear_flag(article=article.pk, user=request.user)
    except EditorialError as exc:
        return fail(request, exc, detail_url(article.pk))
    messages.success(request, "Flag cleared.")
    return redirect(detail_url(article.pk))
