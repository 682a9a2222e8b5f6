"""Forms of the curator's story acts: they parse what the page sends and leave every rule
to curation.services.stories (which checks permissions, states and versions again)."""

from django import forms

from curation.services.story_acts import REST_LEAVE, REST_REJECT

QUEUE_BY_SESSION = "curation_queue_by"  # "story" or "item": the queue the editor chose last
QUEUE_MODES = ("item", "story")


class QueueModeForm(forms.Form):
    by = forms.ChoiceField(choices=[(mode, mode) for mode in QUEUE_MODES])


class StoryPublishForm(forms.Form):
    rest = forms.ChoiceField(choices=[(REST_REJECT, "reject"), (REST_LEAVE, "leave")])
    lead = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    expected_version = forms.IntegerField(min_value=0, max_value=2**63 - 1)
    # The story's new items as the row showed them (services.story_publication.publish_story).
    new_count = forms.IntegerField(min_value=0, max_value=2**63 - 1, required=False)
    # Which they were (story_acts.members_token); empty: not compared.
    new_seen = forms.CharField(required=False, max_length=64, strip=True)


class StoryActForm(forms.Form):
    # The other article: an id ("123" or "#123") or any spelling of its URL.
    other = forms.CharField(required=False, max_length=2000, strip=True)
    # The story as the page showed it (services.stories.seen_token); empty: not compared.
    # No length limit of its own: any other text is simply not the story as it is (a conflict).
    seen = forms.CharField(required=False, strip=True)


class CompleteFromEntryForm(forms.Form):
    entry = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    expected_version = forms.IntegerField(min_value=0, max_value=2**63 - 1)
