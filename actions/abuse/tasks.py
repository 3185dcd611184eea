"""Abuse controls' tasks. Names are those the tasks had when they were first
queued (actions.tasks.*): never change them, queued messages carry them."""

from celery import shared_task

from actions.abuse import services


@shared_task(name="actions.tasks.flag_busy_sources")
def flag_busy_sources() -> int:
    """The hourly abuse check: flag busy clients and email domains. Repeat-safe."""
    return services.flag_busy_sources()
