"""`next` with a line break or a tab: Django's check took "/<LF>//evil.example" for a path on
this site (it drops the break and sees no host in "///"), and the edit page printed it as
its Back and Cancel links, which a browser reads as "///evil.example": another site. A link
an attacker sends to an editor then led off-site from the curator's own buttons."""

import re

import pytest

from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["/\n//evil.example/", "/\r\n//evil.example/", "/\t//evil.example/"])
def test_the_edit_pages_links_never_lead_off_site(editor_client, target):
    article = make_article(title="A story")
    response = editor_client.get(f"/curate/articles/{article.pk}/edit/", {"next": target})
    assert response.status_code == 200
    links = re.findall(r'<a class="(?:back|btn)" href="([^"]*)"', response.content.decode())
    assert links == [f"/curate/articles/{article.pk}/"] * 2
