"""The session engine: Django's sessions in the database, taking from the cookie only a key
of the shape Django itself makes (32 lowercase letters and digits).

Django's own check asks only for 8 characters or more, so a forged cookie such as
`sessionid="abc\\000defghijk"` (a quoted cookie value may carry octal escapes) reached the
session query with a NUL in it, which PostgreSQL refuses: a 500 on every page, for anyone
who sends that cookie. A key of another shape is no session at all, as an unknown one is.
"""

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

# Django makes keys of 32 characters from VALID_KEY_CHARS (a-z, 0-9); 8 is its own floor.
_KEY = re.compile(r"[a-z0-9]{8,40}")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return isinstance(key, str) and _KEY.fullmatch(key) is not None
