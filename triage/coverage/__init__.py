"""Rule coverage: which rules, conditions, levels and findings a corpus of cases or a test session reaches."""
