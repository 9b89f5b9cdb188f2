"""Rectification (DOMAIN.md §4): orders issued by a failing month, the provider's response, re-inspection, termination review."""
