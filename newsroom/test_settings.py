"""Settings for the test suite: the normal settings, made fast and hermetic."""

from newsroom.settings import *  # noqa: F401,F403

# Hashing passwords with PBKDF2 is slow on purpose; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test runner turns DEBUG off, which would make whitenoise look for collected files in
# STATIC_ROOT (absent before `collectstatic`, with a warning per test); serve from the
# app and project static folders instead, as in development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
