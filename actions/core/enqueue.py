"""Handing work to Celery by task name.

A feature's tasks module imports its services (a task loads a row by id and
calls a service), so the services cannot import the tasks back: they enqueue
by the task's registered name instead. Every task is declared with an
explicit name= that never changes (tasks queued before a deploy still run
after it), so the name is the interface. campaign.apps has every process
import every app's tasks module, so the names resolve in web processes too;
an unknown name raises KeyError, a programming error, at once.
"""

from celery import current_app


def enqueue(name: str, *args: object) -> None:
    """Send the task ``name`` with ``args`` now. Raises what the broker raises
    when it is unreachable (kombu raises several unrelated types)."""
    current_app.tasks[name].delay(*args)


def enqueue_on_commit(name: str, *args: object) -> None:
    """Send the task once the current transaction commits (at once outside one)."""
    # The app's task class is DjangoTask (campaign.celery), which the stubs
    # do not know.
    current_app.tasks[name].delay_on_commit(*args)  # type: ignore[attr-defined]
