"""Follow-up emails: campaigners' updates to a petition's consenting signers.

models (imported by actions.models), services (who gets what, when), sending
(batches over one SMTP connection), rendering (the email once per batch),
throttle (the shared sending rate), views and forms (unsubscribing).
"""
