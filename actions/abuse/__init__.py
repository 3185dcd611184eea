"""Abuse controls on signing: rate limits, a honeypot and a minimum time to
fill the form, block lists, hourly flags, and invalidation by filter.

A signature caught by a check is kept in the state ``suspect`` with its reason:
never counted, never emailed, and its supporter sees the usual page.
"""
