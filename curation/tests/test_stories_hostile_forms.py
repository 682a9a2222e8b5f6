"""The story screens with generated junk (hypothesis, through the whole request path):
the queue toggle, the queue by story's query parameters, publishing a story, the "Same
story" acts with any pasted text, completing from an entry. Never a 500; a refused post
says why; nothing half-done is stored."""

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from curation.filters import ArticleFilterSet
from curation.models import Article, Story
from curation.services.importing import import_seed_files
from curation.story_forms import CompleteFromEntryForm, QueueModeForm, StoryActForm, StoryPublishForm
from curation.tests.factories import make_user
from curation.tests.hostile_input import form_data, fuzz_settings, query_pairs, values
from curation.tests.stories_support import write_seeds
from curation.tests.test_hostile_forms import EXTRA, audit_matches_versions, post_below_500
from curation.tests.test_stories_reads import topic_seeds

pytestmark = pytest.mark.django_db

pasted = st.one_of(
    values,
    st.builds(lambda host, path, query: f"{host}{path}?{query}",
              st.sampled_from(["https://", "http://www.", "HTTPS://WWW.", "//", "javascript:", ""]),
              st.text(max_size=30), st.text(max_size=30)),
    st.builds(lambda n: f"#{n}", st.integers(min_value=-(2**70), max_value=2**70)),
)


@pytest.fixture
def story_desk(db, tmp_path):
    # Function-scoped: the import's rows (providers, the ledger) go with the test's transaction.
    write_seeds(tmp_path, topic_seeds("Cedarvale", 3, 0))
    import_seed_files([tmp_path], workers=0)
    editor = make_user(role="editor", username="hostile-stories")
    return {"editor": editor, "story": Story.objects.get(), "ids": list(Article.objects.values_list("pk", flat=True))}


def client_for(desk):
    client = Client()
    client.force_login(desk["editor"])
    return client


@fuzz_settings
@given(pairs=form_data(set(QueueModeForm.base_fields) | EXTRA), query=query_pairs(set(ArticleFilterSet.base_filters) | {"size", "after", "before"}))
def test_the_toggle_and_the_queue_by_story(story_desk, pairs, query):
    client = client_for(story_desk)
    post_below_500(client, "/curate/queue-by/", [*pairs, ("by", "story")], in_place=False)
    response = client.get("/curate/", query)
    assert response.status_code < 500


@fuzz_settings
@given(pairs=form_data(set(StoryPublishForm.base_fields) | {"row"} | EXTRA), in_place=st.booleans())
def test_story_publish_posts(story_desk, pairs, in_place):
    post_below_500(client_for(story_desk), f"/curate/stories/{story_desk['story'].pk}/publish/", pairs, in_place=in_place)
    audit_matches_versions()


@fuzz_settings
@given(act=st.sampled_from(["split", "lead", "apart", "merge", "MERGE", "", "²"]), other=pasted,
       pairs=form_data(set(StoryActForm.base_fields) | EXTRA), in_place=st.booleans())
def test_story_act_posts_with_anything_pasted(story_desk, act, other, pairs, in_place):
    pk = story_desk["ids"][0]
    client = client_for(story_desk)
    response = post_below_500(client, f"/curate/articles/{pk}/story/{act}/", [*pairs, ("other", other)],
                              in_place=in_place)
    assert response.status_code in (302, 400, 404, 409) or response.status_code < 300
    # A refused merge is kept for the page it goes back to, which shows what was typed in
    # its field: whatever was pasted, as escaped text.
    page = client.get(f"/curate/articles/{pk}/")
    assert page.status_code == 200
    assert "<script" not in page.content.decode().split('id="merge-other"')[1].split(">")[0]


@fuzz_settings
@given(pairs=form_data(set(CompleteFromEntryForm.base_fields) | EXTRA), in_place=st.booleans())
def test_complete_from_entry_posts(story_desk, pairs, in_place):
    pk = story_desk["ids"][0]
    post_below_500(client_for(story_desk), f"/curate/articles/{pk}/complete-from-entry/", pairs, in_place=in_place)
    audit_matches_versions()
