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
]
