"""Privacy's tasks. Names are those the tasks had when they were first queued
(actions.tasks.*): never change them, queued messages carry them."""

from celery import shared_task

from actions.privacy import services


@shared_task(name="actions.tasks.send_data_link", acks_late=True)
def send_data_link(email: str, language: str = "") -> None:
    """Email a link to this address's data if any is held, within the daily
    cap, in the language of the page it was asked for on (none: tasks queued
    before languages came, the original)."""
    services.send_data_link(email=email, language=language)


@shared_task(name="actions.tasks.anonymise_expired_signatures")
def anonymise_expired_signatures() -> int:
    """The retention job: anonymise signers of long-closed petitions, in
    batches that each commit. Resumable and repeat-safe."""
    return services.anonymise_expired()
