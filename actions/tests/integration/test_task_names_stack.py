"""A task message queued before the features became apps (under the name
actions.tasks.send_email) is run by today's worker."""

import pytest
from celery import Celery

from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, make_signature

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_message_queued_under_the_old_task_name_is_delivered(stack, mailbox):
    signature = make_signature(make_petition(), email="queued.before@example.org")
    outbound = OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM, to_email=signature.email, signature=signature
    )
    # A producer of the old release: it knows the task only by its name.
    old_release = Celery(broker=stack.redis_url)

    old_release.send_task(
        "actions.tasks.send_email", args=[outbound.pk], queue="transactional"
    )

    message = mailbox.wait_for("queued.before@example.org", timeout=30)
    assert message["Subject"].startswith("Please confirm your signature")
    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.SENT
