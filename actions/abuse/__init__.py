"""Abuse controls on signing: rate limits, a honeypot and a minimum time to
fill the form, block lists, hourly flags, and invalidation by filter.

A weak signal (honeypot, too fast, burst limit) asks for one more step
(challenge.py); a strong one (block list, hourly limit) keeps the signature in
the state ``suspect`` with its reason: never counted, never emailed, and its
supporter sees the usual page.
"""
