"""Test data builders: plain functions with keyword arguments, each saving what it makes."""

import datetime as dt
import itertools
import textwrap

from django.contrib.auth.models import Group, Permission, User
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from curation.models import Article, ArticleImage, Provider, RelatedCoverage, Topic
from curation.seedformat import url_key

_sequence = itertools.count(1)


def make_user(*, role="editor", username=None, password="pw", groups=(), permissions=(), **extra):
    """role: "editor", "viewer", "superuser" or None (no group). `groups`: names of further
    groups ("Embargo editors"); `permissions`: codenames granted to the user alone."""
    username = username or f"{role or 'user'}{next(_sequence)}"
    if role == "superuser":
        return User.objects.create_superuser(username=username, password=password, email=f"{username}@example.com")
    user = User.objects.create_user(username=username, password=password, **extra)
    role_groups = {"editor": ["Editors"], "viewer": ["Viewers"]}.get(role, [])
    for name in [*role_groups, *groups]:
        user.groups.add(Group.objects.get(name=name))
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def client_for(user):
    """A test client signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def make_provider(*, name=None, domain=None):
    n = next(_sequence)
    return Provider.objects.create(name=name or f"Provider {n}", domain=domain or f"provider{n}.example")


def make_topic(*, name=None):
    name = name or f"Topic {next(_sequence)}"
    return Topic.objects.create(name=name, slug=Topic.slug_for(name))


def make_article(*, topics=(), images=(), related=(), provider=None, **fields):
    """An article as if imported. `images`: URLs; `related`: dicts of RelatedCoverage fields."""
    n = next(_sequence)
    now = timezone.now()
    web_url = fields.pop("web_url", f"https://news.example/story-{n}")
    defaults = {
        "title": f"Story number {n}",
        "excerpt": f"Excerpt of story {n}.",
        "body": f"Body of story {n}.\n\nSecond paragraph.",
        "category": "news",
        "article_type": "article",
        "web_url": web_url,
        "source_key": url_key(web_url) if web_url else f"{n:064x}",
        "published_at": now,
        "quality": 50,
        "heat": -1,
        "provider": provider if provider is not None else make_provider(),
        "imported_at": now,
        "source_updated_at": now,
        "source_sha256": f"{n:064x}",
        "content_sha256": f"{n:064x}",
        "front_matter_raw": f'title: "Story number {n}"\nwebUrl: "{web_url}"\n',
        "has_images": bool(images),
        "related_count": len(related),
    }
    defaults.update(fields)
    if defaults.get("state") == "published" and "listed_at" not in fields:
        # As if an editor had published it (the service sets listed_at): when its state
        # changed, else at its own date, so listings keep the order the test gave (an
        # undated one has none and lists last, the order's NULL segment).
        defaults["listed_at"] = defaults.get("state_changed_at") or defaults.get("published_at")
    article = Article.objects.create(**defaults)
    for topic in topics:
        article.topics.add(
            topic
            if isinstance(topic, Topic)
            else Topic.objects.get_or_create(name=topic, defaults={"slug": Topic.slug_for(topic)})[0]
        )
    for position, url in enumerate(images):
        ArticleImage.objects.create(article=article, position=position, url=url, width=640, height=360)
    for position, item in enumerate(related):
        RelatedCoverage.objects.create(article=article, position=position, **item)
    return article


def make_body_only(*, title, body, **fields):
    """A body-only item as the import leaves it: no front matter, so no URL or date, and
    flagged as needing metadata."""
    bare = {
        "has_front_matter": False,
        "needs_metadata": True,
        "web_url": "",
        "published_at": None,
        "front_matter_raw": "",
    }
    return make_article(title=title, body=body, **{**bare, **fields})


def complete_body_only(user, **fields):
    """Complete a new body-only item with a title, a provider and a date, `fields` overriding
    them; what an editor's completion raises, it raises."""
    from curation.services import editorial

    item = make_body_only(title="Body only", body="Text.")
    values = {"title": "T", "provider_name": "P", "published_at": dt.datetime(2024, 3, 1, tzinfo=dt.UTC), **fields}
    return editorial.complete_article(article=item, user=user, **values)


def seed_text(*, body="", **front_matter):
    """A seed file's text. Keyword arguments become front-matter keys, written as YAML."""
    import yaml

    if not front_matter:
        return body
    block = yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True)
    return f"---\n{block}---\n{textwrap.dedent(body)}"


def valid_front_matter(n=1, **overrides):
    values = {
        "category": "news",
        "title": f"Seed title {n}",
        "excerpt": f"Seed excerpt {n}",
        "publishedDateTime": f"2024-03-0{1 + n % 9}T10:00:00Z",
        "webUrl": f"https://seed.example/articles/{n}",
        "type": "article",
        "quality": 40 + n,
        "heat": -1,
        "published": False,
        "provider": {"name": "Seed Times", "domain": "seedtimes.example"},
        "topics": ["Science"],
        "images": [{"url": f"https://img.seed.example/{n}.jpg", "width": 800, "height": 450}],
        "related": [],
        "secured": f"opaque-{n}",
    }
    values.update(overrides)
    return values


def clear_caches():
    """Empty every cache: the default one and the public side's stored renders."""
    for cache in caches.all():
        cache.clear()
