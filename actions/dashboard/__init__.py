"""A petition's dashboard in the admin: counts, charts and follow-up progress."""
