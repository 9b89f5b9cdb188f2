"""Real-time evaluation (DOMAIN.md §4): inspections, workers' ratings, red lines and the running month score."""
