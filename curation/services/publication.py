"""What publishing needs: the one rule that publishing checks and completing the metadata
must meet, and how the article page words what an item lacks."""

# What readers get with every published item: a headline, who published it (the pages and
# feeds credit the provider) and when (listings and feeds are ordered by it; an undated
# item would sink below everything). The source URL is not required: a body-only item's
# text is the story itself.
PUBLICATION_REQUIREMENTS = {
    "title": "A title is required.",
    "provider": "A provider is required to publish: readers are told whose story it is.",
    "published_at": "A publication date is required to publish: pages and feeds are ordered by it.",
}
# The same, as the article page lists what an item lacks.
PUBLICATION_LABELS = {
    "title": "a title",
    "provider": "a provider (readers are told whose story it is)",
    "published_at": "a publication date (pages and feeds are ordered by it)",
}
# The complete form's field for each requirement.
COMPLETE_FIELDS = {"provider": "provider_name"}


def publication_problems(*, title, has_provider, published_at):
    """{requirement: message} for what an item with these values lacks to be published (the
    one rule: publishing checks it, completing the metadata must meet it)."""
    present = {"title": bool((title or "").strip()), "provider": has_provider, "published_at": published_at is not None}
    return {name: message for name, message in PUBLICATION_REQUIREMENTS.items() if not present[name]}


def article_publication_problems(article):
    problems = publication_problems(
        title=article.title, has_provider=article.provider_id is not None, published_at=article.published_at
    )
    if article.needs_metadata:
        problems = {
            "needs_metadata": "Its metadata must be completed (or its body attached to an article).",
            **problems,
        }
    return problems


def needs_completing(article):
    """Whether the item lacks something publishing needs (and so offers "Complete metadata")."""
    return bool(article_publication_problems(article))
