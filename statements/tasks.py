from celery import shared_task

from statements import services


@shared_task(name="statements.tasks.publish_scheduled_statements")
def publish_scheduled_statements() -> int:
    """Mark due scheduled statements published. Repeat-safe."""
    return services.publish_scheduled_statements()
