"""Letters through the real stack: beat hands them to the bulk worker's two
processes, which send them to an SMTP server, one email each or one digest
per recipient, at most once though a worker dies."""

import os
import re
import signal
import time
from collections import Counter

import pytest
from django.utils import timezone

from actions.letters.models import Letter, LetterDigest, LetterSettings
from actions.letters.tests.factories import make_letter_action, make_recipient
from actions.models import Signature
from actions.tests.integration.stack import text_body, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

State = Letter.Delivery


def _queued(action, recipients, per_recipient: int, prefix: str) -> None:
    """Confirmed writers' letters, queued in one statement: beat sees all or
    none of them."""
    now = timezone.now()
    signatures = Signature.objects.bulk_create(
        Signature(
            petition=action,
            first_name=f"Writer{n}",
            last_name="Stack",
            email=f"{prefix}{n}@example.org",
            canonical_email=f"{prefix}{n}@example.org",
            country="FR",
            state=Signature.State.CONFIRMED,
            confirmed_at=now,
        )
        for n in range(per_recipient * len(recipients))
    )
    Letter.objects.bulk_create(
        Letter(
            signature=signature,
            action=action,
            recipient=recipients[n % len(recipients)],
            subject=f"{prefix} letter {n}",
            body=f"Dear Ambassador,\n\nThis is {prefix} letter {n}.\n\nYours,",
            delivery_state=State.QUEUED,
            queued_at=now,
        )
        for n, signature in enumerate(signatures)
    )


def test_letters_go_once_each_and_digests_once_per_recipient_though_a_worker_dies(
    stack, mailbox
):
    embassies = [
        make_recipient(email=f"embassy-stack-{n}@example.org") for n in range(3)
    ]
    missions = [
        make_recipient(email=f"mission-stack-{n}@example.org") for n in range(2)
    ]
    individual = make_letter_action(recipients=embassies)
    digest = make_letter_action(
        recipients=missions, delivery_mode=LetterSettings.DeliveryMode.DIGEST
    )
    _queued(digest, missions, 1000, "dg")
    _queued(individual, embassies, 400, "in")  # 1,200 letters

    def individual_received() -> Counter:
        return Counter(
            message["Subject"]
            for embassy in embassies
            for message in mailbox.messages_to(embassy.email)
        )

    wait_until(
        lambda: sum(individual_received().values()) >= 250,
        timeout=60,
        interval=0.1,
        message=lambda: f"the letters under way\n{stack.logs()}",
    )
    os.kill(stack.children("bulk")[0], signal.SIGKILL)
    wait_until(
        lambda: not Letter.objects.exclude(delivery_state=State.SENT).exists(),
        timeout=120,
        interval=0.5,
        message=lambda: f"every letter marked sent\n{stack.logs()}",
    )
    time.sleep(4)  # more sweeps and stale-claim recoveries: nothing may come twice

    received = individual_received()
    duplicates = sum(n - 1 for n in received.values())
    missing = 1200 - len(received)
    print(f"Individual: duplicates {duplicates}, missing {missing}")
    assert (duplicates, missing) == (0, 0), received.most_common(3)
    assert "WorkerLostError" in stack.log("bulk")
    message = mailbox.messages_to(embassies[0].email)[0]
    assert message["Reply-To"].startswith("Writer")
    assert re.search(r"\nWriter\d+ Stack\r\nFrance\r\n", text_body(message))

    for n, mission in enumerate(missions):
        [email] = mailbox.messages_to(mission.email)  # one email for 1,000
        text = email.get_content()
        assert "Today 1,000 supporters of" in text
        numbers = [int(x) for x in re.findall(r"This is dg letter (\d+)\.", text)]
        assert sorted(numbers) == list(range(n, 2000, 2))
        assert "Letter 1,000 of 1,000" in text
    assert set(LetterDigest.objects.values_list("state", "letter_count")) == {
        (LetterDigest.State.SENT, 1000)
    }
