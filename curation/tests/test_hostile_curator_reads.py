"""No GET parameter of the curator's other reads answers 500: the filtered queue's count, the
type-ahead lookups and the statistics' page, JSON and CSV (the queue and article pages have
theirs in test_hostile_requests.py). The parameter names come from the filters and views."""

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.tests.factories import client_for, make_article, make_user
from curation.tests.hostile_input import fuzz_settings, query_pairs
from curation.tests.test_hostile_requests import QUEUE_NAMES

pytestmark = pytest.mark.django_db

READS = {
    "/curate/count/": QUEUE_NAMES,
    "/curate/lookup/providers/": {"q"},
    "/curate/lookup/topics/": {"q"},
    "/curate/stats/": {"from", "to"},
    "/curate/stats/data.json": {"from", "to"},
    "/curate/stats/export.csv": {"from", "to"},
}


@pytest.fixture
def editor_site(db):
    make_article(title="<b>Bold</b> \u202eclaim", topics=["Science", "AI"], quality=2**31 - 1, heat=-1)
    return client_for(make_user(role="editor"))


@fuzz_settings
@given(data=st.data(), path=st.sampled_from(sorted(READS)))
def test_curator_reads_answer_any_parameters_below_500(editor_site, data, path):
    pairs = data.draw(query_pairs(READS[path]))
    query = urlencode(pairs)
    response = editor_site.get(f"{path}?{query}" if query else path)
    assert response.status_code < 500, (path, pairs, response.status_code)
