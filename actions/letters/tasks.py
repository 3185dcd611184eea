"""Letters' delivery tasks, on the bulk queue. Never rename one: queued
messages carry the names."""

from celery import Task, shared_task

from actions.letters import delivery, digests


@shared_task(name="actions.tasks.send_letter_batch", bind=True, acks_late=True)
def send_letter_batch(
    self: Task, action_id: int | None = None, recipient_id: int | None = None
) -> int:
    """Send one batch of individual-mode letters (of this action to this
    recipient first, if given); the next batch is enqueued. Repeat-safe."""
    prefer = (action_id, recipient_id) if action_id and recipient_id else None
    # In-process, a chain of tasks would recurse once per batch.
    return delivery.send_batch(chain=not self.request.is_eager, prefer=prefer)


@shared_task(name="actions.tasks.send_letter_digest", acks_late=True)
def send_letter_digest(digest_id: int) -> int:
    """Send one recipient's digest of the day. Repeat-safe."""
    return digests.send_digest(digest_id)


@shared_task(name="actions.tasks.run_letters")
def run_letters() -> None:
    """The letters' beat job: put back dead workers' claims, resume individual
    delivery, compose and enqueue the day's digests. Repeat-safe."""
    delivery.requeue_stale()
    delivery.resume_individual()
    digests.run()
