"""Header injection through the signing form: names that try to add an email
header add none to the real message built for the outbox row."""

import pytest
from django.urls import reverse

from actions.models import Signature
from actions.outbox.messages import build_message
from actions.outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

BREAKS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"]
PAYLOADS = [f"Ada{brk}Bcc: x@evil.example" for brk in BREAKS] + [
    "Ada\r\n\r\nBcc: x@evil.example",
    "Ada\r\n Bcc: x@evil.example",
    "Ada\r\nTo: x@evil.example",
    "Ada\r\nReply-To: x@evil.example",
    "Ada\r\nContent-Type: text/html",
    "=?utf-8?q?Ada=0D=0ABcc:_x@evil.example?=",
]


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_name_from_the_form_adds_no_email_header(client, petition, sign_data, name):
    data = sign_data | {"first_name": name, "last_name": name}

    response = client.post(reverse("actions:sign", args=[petition.slug]), data)

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert not any(ch in signature.first_name for ch in BREAKS)
    message = build_message(OutboundEmail.objects.get(signature=signature))
    assert message.recipients() == ["ada@example.org"]
    parsed = message.message()
    assert parsed["Bcc"] is None and parsed["Reply-To"] is None
    assert parsed.get_all("To") == ["ada@example.org"]
    assert parsed.get_all("Content-Type") == [parsed["Content-Type"]]
    headers = parsed.as_bytes().split(b"\n\n", 1)[0]
    assert b"evil" not in headers


def test_a_name_with_a_null_character_is_refused_and_nothing_is_sent(
    client, petition, sign_data
):
    data = sign_data | {"first_name": "Ada\x00Bcc: x@evil.example"}

    response = client.post(reverse("actions:sign", args=[petition.slug]), data)

    assert response.status_code == 200
    assert response.context["form"].errors["first_name"]
    assert not Signature.objects.exists()
    assert not OutboundEmail.objects.exists()
