"""Where a row can be seen, for one user: the rule the admin's "View on site" link follows.

Readers see an article only while `live_condition` holds, and a topic's public page lists
only live articles (it is a 404 without one). Before that, or after, the editors' pages in
the curator show it, to users who may open the curator at all (the Viewers' and Editors'
`view_article`, the curator's own READ_PERMISSION); anyone else has nowhere to go.
"""

from typing import NamedTuple

# The permission the curator's pages require (curation.views.common.READ_PERMISSION says the
# same; models may not import views).
CURATOR_READ_PERMISSION = "curation.view_article"


class SeenAt(NamedTuple):
    url: str
    public: bool  # True: the readers' page; False: the editors' page in the curator


def may_open_curator(user):
    return user is not None and user.is_active and user.has_perm(CURATOR_READ_PERMISSION)
