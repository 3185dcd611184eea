"""Handing work to Celery by task name.

A feature's tasks module imports its services (a task loads a row by id and
calls a service), so the services cannot import the tasks back: they enqueue
by the task's registered name instead. Every task is declared with an
explicit name= that never changes (tasks queued before a deploy still run
after it), so the name is the interface. campaign.apps has every process
import every app's tasks module, so the names resolve in web processes too;
an unknown name raises KeyError, a programming error, at once.

Sending goes through the Redis circuit breaker (campaign.redisbreaker): while
the broker is known to be down, it raises RedisUnavailable at once instead of
waiting for the timeout, and the caller leaves the work for its sweeper.
"""

from celery import current_app

from campaign.redisbreaker import breaker_for


def enqueue(name: str, *args: object) -> None:
    """Send the task ``name`` with ``args`` now. Raises what the broker raises
    when it is unreachable (kombu raises several unrelated types), or
    RedisUnavailable while it is known to be."""
    task = current_app.tasks[name]
    if current_app.conf.task_always_eager:
        task.delay(*args)  # no broker: the task runs here, its errors its own
        return
    with breaker_for(current_app.conf.broker_url).guard():
        task.delay(*args)


def enqueue_on_commit(name: str, *args: object) -> None:
    """Send the task once the current transaction commits (at once outside one)."""
    # The app's task class is DjangoTask (campaign.celery), which the stubs
    # do not know.
    current_app.tasks[name].delay_on_commit(*args)  # type: ignore[attr-defined]
