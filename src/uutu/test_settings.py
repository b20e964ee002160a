"""Settings for the test suite: the real settings with fast hashing and plain HTTP."""

import os

os.environ.setdefault("UUTU_HTTPS", "0")

from uutu.settings import *  # noqa: E402,F403
from uutu.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
