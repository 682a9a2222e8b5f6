"""An import and an editor on the same item at the same moment (PostgreSQL: SQLite's batch
takes the write lock when it begins, so nothing can come between). The batch read what it
updates (which fields editors had edited) without locking it, then wrote every field not
edited then: an edit committed in between was overwritten by the source's value, while the
item still said the field was the editor's."""

import threading

import pytest
from django.db import connections

from curation.models import Article
from curation.services import editorial
from curation.services.importing import writer
from curation.tests.browser_support import ensure_editorial_groups
from curation.tests.concurrency import requires_postgresql
from curation.tests.factories import make_user, seed_text, valid_front_matter
from curation.tests.test_import import run_import, write

# Long enough for an unblocked edit to commit; an edit the batch's lock holds waits it out.
EDIT_WAIT_SECONDS = 2


@requires_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("field", ["title", "topics"])
def test_an_edit_made_while_the_import_updates_the_item_is_kept(tmp_path, monkeypatch, field):
    ensure_editorial_groups()  # a transactional test starts from an emptied database
    editor = make_user()
    front = valid_front_matter(1)
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **{**front, "title": "Source title", "topics": ["Science"]}))
    assert run_import(tmp_path)[0] == 0
    article = Article.objects.get()
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **{**front, "title": "Source title, updated", "topics": ["Space"]}))
    edit = {"title": {"title": "The editor's title"}, "topics": {"topics": ["Health"], "create_topics": ["Health"]}}
    outcome = []

    def editor_edits():
        try:
            editorial.edit_article(article=article.pk, user=editor, **edit[field])
            outcome.append("edited")
        except BaseException as exc:  # reported below
            outcome.append(exc)
        finally:
            connections.close_all()

    plan_items = writer.plan_items
    editing = threading.Thread(target=editor_edits)

    def plan_then_an_editor_edits(*args, **kwargs):
        plan = plan_items(*args, **kwargs)
        if not editing.is_alive() and not outcome:
            editing.start()
            editing.join(EDIT_WAIT_SECONDS)
        return plan

    monkeypatch.setattr(writer, "plan_items", plan_then_an_editor_edits)
    code, out, err = run_import(tmp_path)
    editing.join(30)
    assert code == 0 and "1 updated" in out, err
    assert outcome == ["edited"]

    article.refresh_from_db()
    assert field in article.edited_fields
    if field == "title":
        assert article.title == "The editor's title"
    else:
        assert sorted(article.topics.values_list("name", flat=True)) == ["Health"]
