"""Strings shown by third-party templates that their own catalogues leave in English.

Listing them here puts them in our catalogue, which Django consults first (LOCALE_PATHS).
"""

from django.utils.translation import gettext_noop

VIEWFLOW_STRINGS = [
    gettext_noop("Applications"),
    gettext_noop("Log out"),
    gettext_noop("Profile"),
    gettext_noop("Back"),
    gettext_noop("Login"),
    gettext_noop("Access Forbidden"),
    gettext_noop("Log in as another user"),
    gettext_noop("Page not found"),
    gettext_noop("Task"),
    gettext_noop("Brief"),
    gettext_noop("Created"),
    gettext_noop("Queue"),
]
