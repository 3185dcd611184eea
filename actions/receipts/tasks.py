"""Receipts' tasks. Their names are stable: queued messages carry them."""

from celery import shared_task

from actions.receipts import services


@shared_task(name="actions.tasks.commit_receipt_roots")
def commit_receipt_roots() -> int:
    """Commit the finished days not yet committed; how many. Repeat-safe."""
    return len(services.commit_finished_days())
