"""Editorial writes: every decision and edit an editor makes, from any path.

The curator views, the admin and management commands all call these functions, so the
permission checks, the state rules, the conflict check and the audit row live here once:
`errors`, `core` (the state machine, permissions, locking and the audit row), `transitions`
(publish, unpublish, reject, restore, in bulk too) and `edits` (edit, complete, attach).
Other services build on `core`'s primitives (`_lock`, `_save`); import everything from
`curation.services.editorial`.
"""

from curation.services.editorial.core import (  # noqa: F401
    ACTION_LABELS,
    EDIT_PERMISSION,
    MAX_BULK_ITEMS,
    PUBLISH_PERMISSION,
    REFUSALS,
    REJECT_PERMISSION,
    TRANSITIONS,
    Action,
    Transition,
    _lock,
    _require,
    _save,
    _short,
    allowed_actions,
    available_actions,
    can_perform,
    failures_sentence,
)
from curation.services.editorial.edits import (  # noqa: F401
    UnknownTopics,
    _topics_named,
    attach_body,
    complete_article,
    edit_article,
)
from curation.services.editorial.errors import (  # noqa: F401
    ConflictError,
    EditorialError,
    InvalidEdit,
    InvalidTransition,
)
from curation.services.editorial.transitions import (  # noqa: F401
    NOT_REJECTED,
    BulkResult,
    bulk_transition,
    check_transition,
    decision_changes,
    publish_article,
    reject_article,
    rejection_reason,
    restore_article,
    transition_article,
    unpublish_article,
)
from curation.services.publication import (  # noqa: F401
    COMPLETE_FIELDS,
    PUBLICATION_LABELS,
    PUBLICATION_REQUIREMENTS,
    article_publication_problems,
    needs_completing,
    publication_problems,
)
