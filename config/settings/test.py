"""Test settings: fast hashing, in-memory mail, isolated media."""

import tempfile

from .base import *

SECRET_KEY = "test-only-key"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="hezuo-test-media-"))
ALLOWED_HOSTS = ["*"]
# The local-memory cache whatever REDIS_URL the shell carries: each xdist worker counts on its own, and
# the tests that need Redis (the rating limit) point CACHES at it themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hezuo-test"}}
