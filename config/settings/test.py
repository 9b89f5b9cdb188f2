"""Test settings: fast hashing, in-memory mail, isolated media."""

import tempfile

from .base import *

SECRET_KEY = "test-only-key"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="hezuo-test-media-"))
ALLOWED_HOSTS = ["*"]
