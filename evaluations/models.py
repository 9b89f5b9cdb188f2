"""Real-time and final evaluation, rectification, exit and re-tender (built in later issues)."""
