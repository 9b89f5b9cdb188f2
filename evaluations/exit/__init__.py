"""Exit (DOMAIN.md §5): the contract terminated, last payment withheld, exclusion, re-tender, handover; and each provider's history."""
