"""The outbox's tasks. Names are those the tasks had when they were first
queued (actions.tasks.*): never change them, queued messages carry them."""

from celery import Task, shared_task

from actions.outbox import delivery, services


@shared_task(
    name="actions.tasks.send_email", bind=True, acks_late=True, max_retries=None
)
def send_email(self: Task, outbound_email_id: int) -> None:
    """Deliver one queued email; a no-op unless the row is still queued."""
    outbound = delivery.claim(outbound_email_id)
    if outbound is None:
        return  # sent, failed, or in flight (the sweeper re-queues stale rows)
    try:
        delivery.deliver(outbound)
    except delivery.TransientEmailError as exc:
        if self.request.is_eager:
            return  # in-process mode retries would spin; the sweeper retries
        raise self.retry(countdown=exc.retry_in, exc=exc) from exc


@shared_task(name="actions.tasks.requeue_stale_emails")
def requeue_stale_emails() -> int:
    """Enqueue outbox rows whose task was lost. Repeat-safe."""
    return services.requeue_stale_emails()
