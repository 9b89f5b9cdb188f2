"""PLACEHOLDER: home panels and file access policies for contracts (being written by a helper)."""
