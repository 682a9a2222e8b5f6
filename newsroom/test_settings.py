"""Settings for the test suite: the normal settings, made fast and hermetic."""

from newsroom.settings import *  # noqa: F401,F403

# Hashing passwords with PBKDF2 is slow on purpose; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
