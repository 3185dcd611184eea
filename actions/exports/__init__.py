"""Signature reports: which rows an export takes, how they are written, and the
record of every export."""
