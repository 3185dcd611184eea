"""Exports' tasks. Names are those the tasks had when they were first queued
(actions.tasks.*): never change them, queued messages carry them."""

from celery import shared_task

from actions.exports import services


@shared_task(name="actions.tasks.build_signature_export", acks_late=True)
def build_signature_export(export_id: int) -> None:
    """Write a queued signature export to its file; a no-op once it finished."""
    services.build_file(export_id)


@shared_task(name="actions.tasks.delete_expired_exports")
def delete_expired_exports() -> int:
    """Delete export files past EXPORT_FILE_MAX_AGE. Repeat-safe."""
    return services.delete_expired_files()
