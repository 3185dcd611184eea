"""Follow-ups' tasks. Names are those the tasks had when they were first
queued (actions.tasks.*): never change them, queued messages carry them."""

from celery import Task, shared_task

from actions.followups import sending, services


@shared_task(name="actions.tasks.start_follow_up", acks_late=True)
def start_follow_up(follow_up_id: int) -> int:
    """Queue a scheduled follow-up's deliveries if it is due. Repeat-safe."""
    return services.start(follow_up_id)


@shared_task(name="actions.tasks.send_follow_up_batch", bind=True, acks_late=True)
def send_follow_up_batch(self: Task, follow_up_id: int) -> int:
    """Send one batch of a follow-up; the next batch is enqueued. Repeat-safe."""
    # In-process, a chain of tasks would recurse once per batch.
    return sending.send_batch(follow_up_id, chain=not self.request.is_eager)


@shared_task(name="actions.tasks.run_follow_ups")
def run_follow_ups() -> None:
    """The follow-ups' beat job: start, queue, recover, finish. Repeat-safe."""
    services.run_follow_ups()
