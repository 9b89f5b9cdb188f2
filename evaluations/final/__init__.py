"""The final evaluation (DOMAIN.md §5): opening, components, panel review, appeal, sign-off, renewal and the assessment report."""
