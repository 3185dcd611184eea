"""Tasks of calls to action themselves; the features' tasks live in their
apps. Names are explicit and never change (queued messages carry them)."""

from celery import shared_task

from actions import lifecycle


@shared_task(name="actions.tasks.run_petition_schedule")
def run_petition_schedule() -> int:
    """Open and close petitions whose times have come. Repeat-safe."""
    return lifecycle.run_petition_schedule()
