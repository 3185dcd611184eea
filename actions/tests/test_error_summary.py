"""After a refused submit, every public form starts with a summary of its
errors that links to the fields and takes the focus without JavaScript."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _summary(html: str) -> str:
    match = re.search(r'<div class="error-summary[^>]*>.*?</div>', html, re.S)
    assert match, "no error summary"
    return match[0]


def _field_ids(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))


def test_a_refused_signature_lists_each_error_linking_to_its_field(
    client, petition, sign_data
):
    data = sign_data | {"email": "not-an-address", "first_name": ""}

    html = client.post(reverse("actions:sign", args=[petition.slug]), data).text

    summary = _summary(html)
    assert 'tabindex="-1"' in summary
    assert "autofocus" in summary
    assert 'role="alert"' in summary
    links = re.findall(r'href="#([^"]+)"', summary)
    assert links == ["id_first_name", "id_email"]
    assert set(links) <= _field_ids(html)
    assert html.count("autofocus") == 1


def test_a_form_shown_for_the_first_time_has_no_summary(client, petition):
    html = client.get(reverse("actions:sign", args=[petition.slug])).text

    assert "error-summary" not in html
    assert "autofocus" not in html


@pytest.mark.parametrize(
    ("url_name", "data", "field_id"),
    [
        ("actions:resend", {"email": "nope"}, "id_email"),
        ("actions:your_data", {"email": "nope"}, "id_email"),
    ],
)
def test_the_other_public_forms_have_the_same_summary(
    client, petition, url_name, data, field_id
):
    args = [petition.slug] if url_name == "actions:resend" else []

    html = client.post(reverse(url_name, args=args), data).text

    summary = _summary(html)
    assert f'href="#{field_id}"' in summary
    assert field_id in _field_ids(html)
    assert "autofocus" in summary


def test_a_receipt_check_without_a_receipt_has_the_summary(client):
    html = client.post(reverse("actions:receipt_check"), {}).text

    assert "autofocus" in _summary(html)
