"""The rule language: conditions and their operators, rule files, and what can be proved about a rule base."""
