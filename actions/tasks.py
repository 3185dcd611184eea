"""Tasks of calls to action themselves; the features' tasks live in their
apps. Names are explicit and never change (queued messages carry them)."""

from celery import shared_task

from actions import lifecycle, services


@shared_task(name="actions.tasks.run_petition_schedule")
def run_petition_schedule() -> int:
    """Open and close petitions whose times have come. Repeat-safe."""
    return lifecycle.run_petition_schedule()


@shared_task(name="actions.tasks.sign_again")
def sign_again(
    petition_id: int, attempt_fields: dict[str, object], wording: dict[str, str]
) -> None:
    """A signing of an address that had signed, finished after the response."""
    services.sign_again(
        petition_id=petition_id, attempt_fields=attempt_fields, wording=wording
    )
