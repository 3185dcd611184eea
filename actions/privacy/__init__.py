"""Supporters' privacy: consent records, their data on request, erasure and
retention.

models (imported by actions.models), consent (the wording shown and each
answer), services (data copies, erasure, the retention job), views and forms
(the public "Your data" pages).
"""
