"""Letters' delivery tasks, on the bulk queue. Never rename one: queued
messages carry the names."""

from celery import Task, shared_task

from actions.letters import delivery, digests


@shared_task(name="actions.tasks.send_letter_batch", bind=True, acks_late=True)
def send_letter_batch(self: Task) -> int:
    """Send one batch of individual-mode letters; the next batch is enqueued
    if there may be more. Repeat-safe."""
    # In-process, a chain of tasks would recurse once per batch.
    return delivery.send_batch(chain=not self.request.is_eager)


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
