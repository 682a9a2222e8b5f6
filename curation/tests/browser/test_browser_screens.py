# ruff: noqa: F811 - the browser fixtures are imported from test_browser and requested by name
"""Every page of the UI in Chromium at 1280x900, light and dark (prefers-color-scheme):
axe-core finds no serious or critical WCAG 2 A/AA violation, nothing asks for a missing
file (the favicon used to 404 on every page), and a screenshot of each is saved under
test-artifacts/pages/ (look at them)."""

import datetime as dt

import pytest
from django.utils import timezone

from curation.models import ArticleState
from curation.services.editorial import edit_article
from curation.tests.browser_support import ARTIFACTS_DIR, PASSWORD, WCAG_TAGS, axe_violations
from curation.tests.factories import make_article, make_body_only, make_provider, make_topic, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHEMES = ["light", "dark"]


def serious_violations(page):
    return axe_violations(page, tags=WCAG_TAGS)


@pytest.fixture
def site():
    now = timezone.now()
    planet = make_provider(name="Daily Planet", domain="dailyplanet.example")
    make_topic(name="Space")
    items = {}
    for n in range(40):
        items[n] = make_article(
            title=f"Council approves a longer harbour ferry timetable for the winter season, part {n}",
            provider=planet,
            topics=["Transport"],
            images=[f"https://img.example/{n}.jpg"],
            published_at=now - dt.timedelta(hours=n),
            quality=(n * 7) % 120,
            heat=-1 if n % 3 else n,
            state=ArticleState.PUBLISHED if n % 4 == 0 else ArticleState.NEW,
            state_changed_at=now - dt.timedelta(minutes=n) if n % 4 == 0 else None,
        )
    editor = make_user(role="editor", username="edna", password=PASSWORD)
    changed = items[1]
    edit_article(article=changed, user=editor, title="An editor's sharper headline")
    changed.source_changed_at = now
    changed.save(update_fields=["source_changed_at"])
    body_only = make_body_only(title="Derived from the body", body="A body without front matter.", source_key="e" * 64)
    long_url = "https://news.example/" + "a-long-path-segment-that-goes-on/" * 12 + "?utm_source=" + "x" * 80
    wide = make_article(
        title="An article with very long addresses everywhere",
        web_url=long_url,
        amp_url=long_url + "&amp=1",
        front_matter_raw=f'title: "An article with very long addresses everywhere"\nwebUrl: "{long_url}"\nnote: "{"y" * 300}"\n',
        images=[long_url + ".jpg"],
        related=[{"title": "Coverage elsewhere " * 6, "web_url": long_url + "&r=1", "provider": planet}],
        topics=["Transport"],
    )
    return {
        "wide": wide,
        "editor": editor,
        "viewer": make_user(role="viewer", username="vic", password=PASSWORD),
        "admin": make_user(role="superuser", username="root", password=PASSWORD),
        "article": changed,
        "published": items[0],
        "body_only": body_only,
    }


def pages(site):
    """(name, user, path)."""
    article, published = site["article"], site["published"]
    return [
        ("login", None, "/accounts/login/"),
        ("queue", "editor", "/curate/"),
        ("queue-viewer", "viewer", "/curate/"),
        ("article", "editor", f"/curate/articles/{article.pk}/"),
        ("article-viewer", "viewer", f"/curate/articles/{article.pk}/"),
        ("edit", "editor", f"/curate/articles/{article.pk}/edit/"),
        ("body-only", "editor", f"/curate/articles/{site['body_only'].pk}/"),
        ("forbidden", "viewer", f"/curate/articles/{article.pk}/edit/"),
        ("public-home", None, "/"),
        ("public-article", None, f"/articles/{published.pk}/"),
        ("public-topic", None, "/topics/transport/"),
        ("admin-changelist", "admin", "/admin/curation/article/"),
        ("admin-change", "admin", f"/admin/curation/article/{site['wide'].pk}/change/"),
    ]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_page_passes_axe_and_is_photographed(open_page, site, scheme):
    (ARTIFACTS_DIR / "pages").mkdir(parents=True, exist_ok=True)
    problems, missing = {}, []
    for name, role, path in pages(site):
        page, watch = open_page(user=site[role] if role else None, color_scheme=scheme)
        page.on("response", lambda r, name=name: r.status == 404 and missing.append((name, r.url)))
        response = page.goto(path)
        assert response.status == (403 if name == "forbidden" else 200), (name, response.status)
        page.wait_for_load_state("networkidle")
        found = serious_violations(page)
        if found:
            problems[name] = found
        page.screenshot(path=str(ARTIFACTS_DIR / "pages" / f"{name}-{scheme}.png"))
        if name == "admin-changelist":  # every column in view at 1280 px
            for header in page.locator("#result_list thead th").all():
                box = header.bounding_box()
                assert box and box["x"] + box["width"] <= 1280, header.inner_text()
        if name == "admin-change":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1280, f"the admin's change page is {width}px wide"
        page.context.close()
    report = ARTIFACTS_DIR / "pages" / f"axe-{scheme}.txt"
    report.write_text("\n".join(f"{name}: {line}" for name, lines in problems.items() for line in lines) + "\n")
    assert not problems, f"axe-core violations (all in {report}): {problems}"
    assert not missing, missing
