"""The public receipt pages: roots and their feed, a signer's receipt, the
check page, and the receipt on the thanks page. None needs JavaScript."""

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.core.tokens import make_receipt_token, make_thanks_token
from actions.models import Signature
from actions.privacy import services as privacy
from actions.receipts.tests.factories import DAY, at, committed, confirmed_on
from actions.services import confirm_signature
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


def test_the_roots_page_lists_roots_newest_first_and_links_the_feed(client, petition):
    confirmed_on(petition, 2, DAY)
    confirmed_on(petition, 1, DAY + timedelta(days=1))
    older, newer = committed(DAY), committed(DAY + timedelta(days=1))

    response = client.get(reverse("actions:receipt_roots"))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index(newer.root) < content.index(older.root)
    assert reverse("actions:receipt_feed") in content
    assert "<script" not in content
    assert not response.cookies


def test_the_roots_page_is_paginated(client, petition):
    for n in range(31):
        confirmed_on(petition, 1, DAY + timedelta(days=n))
        committed(DAY + timedelta(days=n))

    first = client.get(reverse("actions:receipt_roots")).content.decode()
    second = client.get(reverse("actions:receipt_roots") + "?page=2").content
    assert "2026-12-02" in first and "2026-11-02" not in first
    assert "2026-11-02" in second.decode()
    assert 'rel="next"' in first


def test_the_feed_is_atom_with_one_entry_per_root(client, petition):
    confirmed_on(petition, 2)
    daily = committed()

    response = client.get(reverse("actions:receipt_feed"))

    assert response["Content-Type"].startswith("application/atom+xml")
    content = response.content.decode()
    assert content.count("<entry>") == 1
    assert daily.root in content
    assert "Root for 2026-11-02: 2 signatures" in content


def test_before_the_commit_the_receipt_page_says_when_it_will_be_ready(
    client, petition
):
    (signature,) = confirmed_on(petition, 1)

    response = client.get(
        reverse("actions:receipt", args=[make_receipt_token(signature.pk)])
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "will be ready after 2026-11-03 00:30 UTC" in content
    assert "max-age=0" in response["Cache-Control"]
    download = reverse(
        "actions:receipt_download", args=[make_receipt_token(signature.pk)]
    )
    assert client.get(download).status_code == 404


def test_after_the_commit_the_link_downloads_the_receipt(client, petition):
    (signature,) = confirmed_on(petition, 1)
    daily = committed()
    token = make_receipt_token(signature.pk)

    page = client.get(reverse("actions:receipt", args=[token])).content.decode()
    response = client.get(reverse("actions:receipt_download", args=[token]))

    assert "Download your receipt" in page
    assert response["Content-Disposition"] == (
        'attachment; filename="signature-receipt-2026-11-02.json"'
    )
    receipt = json.loads(response.content)
    assert receipt["root"] == daily.root
    assert receipt["day"] == "2026-11-02"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda s: make_receipt_token(s.pk)[:-2] + "xx", id="tampered"),
        pytest.param(lambda s: make_thanks_token(s.pk), id="other salt"),
        pytest.param(lambda s: make_receipt_token(s.pk + 1000), id="no signature"),
    ],
)
def test_a_bad_receipt_link_shows_a_plain_page(client, petition, token):
    (signature,) = confirmed_on(petition, 1)

    response = client.get(reverse("actions:receipt", args=[token(signature)]))

    assert response.status_code == 404
    assert "This receipt link is not valid" in response.content.decode()


def test_a_pending_signature_gets_the_once_confirmed_page(client, petition):
    signature = make_signature(petition, email="Ada@Example.org")
    token = make_receipt_token(signature.pk)

    response = client.get(reverse("actions:receipt", args=[token]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Your receipt will be ready once your signature is confirmed" in content
    assert "max-age=0" in response["Cache-Control"]
    for personal in ("Ada@Example.org", "ada@example.org", signature.last_name):
        assert personal not in content
    download = reverse("actions:receipt_download", args=[token])
    assert client.get(download).status_code == 404


def _erased(signature: Signature) -> None:
    privacy.anonymise([signature.pk])


@pytest.mark.parametrize(
    ("fields", "change"),
    [
        pytest.param(
            {
                "state": Signature.State.SUSPECT,
                "suspected_at": at(DAY),
                "suspect_reason": Signature.SuspectReason.HONEYPOT,
            },
            None,
            id="suspect",
        ),
        pytest.param(
            {"state": Signature.State.INVALIDATED, "invalidated_at": at(DAY)},
            None,
            id="invalidated",
        ),
        pytest.param({"state": Signature.State.CONFIRMED}, _erased, id="erased"),
        pytest.param({}, _erased, id="erased while pending"),
    ],
)
def test_other_signatures_get_the_same_page_as_no_signature(
    client, petition, fields, change
):
    signature = make_signature(petition, **fields)
    if change is not None:
        change(signature)
    token, nobody = make_receipt_token(signature.pk), make_receipt_token(0)

    response = client.get(reverse("actions:receipt", args=[token]))

    assert response.status_code == 404
    expected = client.get(reverse("actions:receipt", args=[nobody]))
    # Alike but for the page's own address (in its language links).
    page = response.content.decode().replace(token, "TOKEN")
    assert page == expected.content.decode().replace(nobody, "TOKEN")


def _receipt(client, signature) -> str:
    token = make_receipt_token(signature.pk)
    return client.get(
        reverse("actions:receipt_download", args=[token])
    ).content.decode()


def test_the_check_page_says_valid_for_a_pasted_receipt(client, petition):
    (signature,) = confirmed_on(petition, 1)
    committed()

    response = client.post(
        reverse("actions:receipt_check"), {"receipt": _receipt(client, signature)}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "This receipt is valid." in content
    assert "one of the 1 signatures in the root published for 2026-11-02" in content
    assert "<script" not in content


def test_the_check_page_says_valid_for_an_uploaded_file(client, petition):
    (signature,) = confirmed_on(petition, 1)
    committed()
    upload = SimpleUploadedFile("receipt.json", _receipt(client, signature).encode())

    response = client.post(reverse("actions:receipt_check"), {"file": upload})

    assert "This receipt is valid." in response.content.decode()


def test_the_check_page_says_invalid_for_a_changed_receipt(client, petition):
    (signature,) = confirmed_on(petition, 2)[:1]
    committed()
    receipt = json.loads(_receipt(client, signature)) | {"position": 1}

    response = client.post(
        reverse("actions:receipt_check"), {"receipt": json.dumps(receipt)}
    )

    assert "This receipt is not valid." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "Paste a receipt or choose its file."),
        (
            {"file": SimpleUploadedFile("r.json", b"\xff\xfe\x00")},
            "it is not text",
        ),
        (
            {"file": SimpleUploadedFile("r.json", b"x" * (65 * 1024))},
            "too large to be a receipt",
        ),
    ],
)
def test_the_check_page_explains_bad_input(client, data, words):
    response = client.post(reverse("actions:receipt_check"), data)

    assert response.status_code == 400
    assert words in response.content.decode()


def test_the_check_page_refuses_a_post_from_another_site(client):
    response = client.post(
        reverse("actions:receipt_check"),
        {"receipt": "{}"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 403


def test_the_thanks_page_gives_the_signer_a_receipt_link(client, petition):
    signature = make_signature(petition)
    confirm_signature(signature=signature)
    url = reverse(
        "actions:thanks", args=[petition.slug, make_thanks_token(signature.pk)]
    )

    content = client.get(url).content.decode()

    assert "Your receipt" in content
    assert "will be ready after" in content
    link = re.search(r'href="(/receipts/[^"]+/)"', content).group(1)
    page = client.get(link).content.decode()
    assert "Your receipt will be ready after" in page


def test_the_thanks_page_without_a_token_has_no_receipt(client, petition):
    content = client.get(reverse("actions:thanks", args=[petition.slug])).content
    assert "Your receipt" not in content.decode()
