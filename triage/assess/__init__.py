"""Assessment: from answers to a level with its reasons, completeness, advice and safety-netting, and its text."""
