"""Contracts, milestones, service reports and activities (built in the contracts issue)."""
