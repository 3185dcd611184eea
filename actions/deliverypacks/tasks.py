"""Delivery packs' tasks. Their names are stable: queued messages carry them."""

from celery import shared_task

from actions.deliverypacks import services


@shared_task(name="actions.tasks.build_delivery_pack", acks_late=True)
def build_delivery_pack(pack_id: int) -> None:
    """Write a queued delivery pack's PDF; a no-op once it finished or failed."""
    services.build_pack(pack_id)


@shared_task(name="actions.tasks.delete_expired_delivery_packs")
def delete_expired_delivery_packs() -> int:
    """Delete pack files past EXPORT_FILE_MAX_AGE. Repeat-safe."""
    return services.delete_expired_files()
