"""Delivery packs: a petition's PDF for its target (statement, demand, counts
and, optionally, the confirmed signers' names)."""
