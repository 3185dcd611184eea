"""A supporter's data through the real stack: the "Your data" form on
gunicorn, the Celery worker that emails the link through SMTP, the page it
opens and the button that erases."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from actions.models import Signature
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import text_body, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DATA_LINK = re.compile(r"https?://\S+/your-data/[^\s/]+/")


def _data_links(mailbox, address: str) -> list[str]:
    return [
        urlsplit(match.group(0)).path
        for message in mailbox.messages_to(address)
        if (match := DATA_LINK.search(text_body(message)))
    ]


def test_the_worker_emails_the_link_and_the_button_erases(stack, mailbox, sign_data):
    petition = make_petition()
    address = "Ximena.Stack@example.org"
    stack.post(
        reverse("actions:sign", args=[petition.slug]),
        sign_data
        | {"started": stamp_for(petition), "email": address, "first_name": "Ximena"},
    )
    mailbox.wait_for(address)  # the confirmation

    asked = stack.post(reverse("actions:your_data"), {"email": address.upper()})
    unknown = stack.post(
        reverse("actions:your_data"), {"email": "nobody.stack@example.org"}
    )

    assert asked.status == unknown.status == 302
    assert asked.location == unknown.location == reverse("actions:your_data_sent")
    [path] = wait_until(
        lambda: _data_links(mailbox, address),
        timeout=30,
        message=lambda: f"the data link\n{stack.logs()}",
    )
    page = stack.get(path)
    assert page.status == 200
    assert "Ximena" in page.text and address in page.text
    assert Signature.objects.get(petition=petition).anonymised_at is None

    erased = stack.post(path)

    assert erased.status == 302
    assert erased.location == reverse("actions:your_data_erased")
    signature = Signature.objects.get(petition=petition)
    assert signature.anonymised_at is not None
    assert (signature.first_name, signature.state) == ("", "pending")
    assert "@" not in signature.email
    assert stack.get(path).status == 400
    time.sleep(1)  # the worker had the unknown address's request long enough
    assert mailbox.messages_to("nobody.stack@example.org") == []
