"""Local development and the demo: DEBUG on, SQLite by default."""

from .base import *

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-used-in-production"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
