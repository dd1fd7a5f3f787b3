"""Batch scoring: many case inputs in, one scored line per case out, in input order."""
