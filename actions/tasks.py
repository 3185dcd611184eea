from celery import Task, shared_task

from actions import emails, services
from actions.abuse import services as abuse
from actions.exports import services as exports
from actions.followups import sending
from actions.followups import services as followups
from actions.privacy import services as privacy


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_email(self: Task, outbound_email_id: int) -> None:
    """Deliver one queued email; a no-op unless the row is still queued."""
    outbound = emails.claim(outbound_email_id)
    if outbound is None:
        return  # sent, failed, or in flight (the sweeper re-queues stale rows)
    try:
        emails.deliver(outbound)
    except emails.TransientEmailError as exc:
        if self.request.is_eager:
            return  # in-process mode retries would spin; the sweeper retries
        raise self.retry(countdown=exc.retry_in, exc=exc) from exc


@shared_task
def requeue_stale_emails() -> int:
    """Enqueue outbox rows whose task was lost. Repeat-safe."""
    return services.requeue_stale_emails()


@shared_task(acks_late=True)
def build_signature_export(export_id: int) -> None:
    """Write a queued signature export to its file; a no-op once it finished."""
    exports.build_file(export_id)


@shared_task
def delete_expired_exports() -> int:
    """Delete export files past EXPORT_FILE_MAX_AGE. Repeat-safe."""
    return exports.delete_expired_files()


@shared_task(acks_late=True)
def start_follow_up(follow_up_id: int) -> int:
    """Queue a scheduled follow-up's deliveries if it is due. Repeat-safe."""
    return followups.start(follow_up_id)


@shared_task(bind=True, acks_late=True)
def send_follow_up_batch(self: Task, follow_up_id: int) -> int:
    """Send one batch of a follow-up; the next batch is enqueued. Repeat-safe."""
    # In-process, a chain of tasks would recurse once per batch.
    return sending.send_batch(follow_up_id, chain=not self.request.is_eager)


@shared_task
def run_follow_ups() -> None:
    """The follow-ups' beat job: start, queue, recover, finish. Repeat-safe."""
    followups.run_follow_ups()


@shared_task(acks_late=True)
def send_data_link(email: str) -> None:
    """Email a link to this address's data if any is held, within the daily cap."""
    privacy.send_data_link(email=email)


@shared_task
def anonymise_expired_signatures() -> int:
    """The retention job: anonymise signers of long-closed petitions, in
    batches that each commit. Resumable and repeat-safe."""
    return privacy.anonymise_expired()


@shared_task
def flag_busy_sources() -> int:
    """The hourly abuse check: flag busy clients and email domains. Repeat-safe."""
    return abuse.flag_busy_sources()
