from email import message_from_bytes, policy

import pytest
from django.urls import reverse

from actions.core.mail import MessageWriter
from actions.followups.rendering import (
    PREVIEW_TOKEN,
    Email,
    as_message,
    django_message,
    render_draft,
    unknown_placeholders,
)
from actions.followups.tests.factories import make_follow_up

pytestmark = pytest.mark.django_db


def _draft(petition, **fields):
    return render_draft(make_follow_up(petition, **fields), count=12345)


def test_placeholders_are_filled_for_each_signer(petition, settings):
    petition.title = "Cancel the visit"
    petition.save()
    draft = _draft(
        petition,
        subject="{{first_name}}, {{ petition_title }} has {{ signature_count }}",
        body="Dear {{ first_name }}, {{ signature_count }} signed "
        "{{ petition_title }}.",
    )

    email = draft.personalise(first_name="Ada", token="tok")

    assert email.subject == "Ada, Cancel the visit has 12,345"
    assert "Dear Ada, 12,345 signed Cancel the visit." in email.text
    assert "<p>Dear Ada, 12,345 signed Cancel the visit.</p>" in email.html
    assert email.unsubscribe_url == settings.SITE_URL + reverse(
        "actions:unsubscribe", kwargs={"token": "tok"}
    )
    preferences = reverse("actions:email_preferences", kwargs={"token": "tok"})
    assert email.unsubscribe_url in email.text and preferences in email.text
    assert email.unsubscribe_url in email.html and preferences in email.html


def test_names_and_titles_are_escaped_in_html_only(petition):
    petition.title = "Arms <embargo> & more"
    petition.save()
    draft = _draft(petition, body="Hi {{ first_name }}: {{ petition_title }}")

    email = draft.personalise(first_name="<b>Ada</b> & Co", token="t")

    assert "Hi &lt;b&gt;Ada&lt;/b&gt; &amp; Co: Arms &lt;embargo&gt; &amp; more" in (
        email.html
    )
    assert "<b>Ada</b>" not in email.html
    assert "Hi <b>Ada</b> & Co: Arms <embargo> & more" in email.text


def test_a_name_in_a_links_address_cannot_make_it_a_script(petition):
    petition.title = "javascript:alert(2)"
    petition.save()
    draft = _draft(
        petition,
        body="[Your page]({{ first_name }}) [ours](https://example.org/?n={{ "
        "first_name }}&t={{ petition_title }}) <a href='{{petition_title}}'>t</a>",
    )

    email = draft.personalise(first_name="javascript:alert(1)", token="t")

    assert 'href="javascript%3Aalert%281%29"' in email.html
    assert 'href="javascript%3Aalert%282%29"' in email.html
    assert (
        'href="https://example.org/?n=javascript%3Aalert%281%29&amp;'
        't=javascript%3Aalert%282%29"'
    ) in email.html
    assert "javascript:alert(1)" in email.text


def test_a_line_break_in_a_name_cannot_start_a_header(petition):
    draft = _draft(petition, subject="For {{ first_name }}")

    email = draft.personalise(first_name="Ada\r\nBcc: x@example.org", token="t")

    assert email.subject == "For Ada Bcc: x@example.org"


def test_the_body_is_markdown_with_raw_html_cleaned(petition):
    draft = _draft(
        petition,
        body="## Delivered\n\n**Thank you.** <script>alert(1)</script>"
        "[Read more](javascript:alert(1))",
    )

    html = draft.personalise(first_name="Ada", token="t").html

    assert "<h2>Delivered</h2>" in html
    assert "<strong>Thank you.</strong>" in html
    assert "<script" not in html and "javascript:" not in html


def test_unknown_placeholders_are_reported_in_order():
    text = "{{ first_name }} {{ name }} {{petition}} {{ signature_count }}"
    assert unknown_placeholders(text) == ["name", "petition"]


def _email(**fields) -> Email:
    defaults = {
        "subject": "Délivrée : 12 345 signatures",
        "text": "Dear Ada,\n.\n.leading dot\n" + "long line " * 30 + "\nBye",
        "html": "<p>Dear Ada, “thanks”</p>\n<p>.</p>",
        "unsubscribe_url": "https://example.org/unsubscribe/abc:def/",
    }
    return Email(**defaults | fields)


def _parse(raw: bytes):
    # What a server stores: the dot-stuffing undone.
    return message_from_bytes(raw.replace(b"\r\n..", b"\r\n."), policy=policy.SMTP)


def test_written_messages_are_valid_mime_with_one_click_headers(settings):
    settings.DEFAULT_FROM_EMAIL = "Kampagne Ü <campaign@example.org>"
    email = _email()

    raw = MessageWriter(settings.DEFAULT_FROM_EMAIL).write(
        as_message(email), to="ada@example.org"
    )

    assert b"\r\n.\r\n" not in raw  # a lone dot would end the DATA early
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = _parse(raw)
    assert message.defects == []
    assert message["Subject"] == email.subject
    assert message["To"] == "ada@example.org"
    assert message["From"].addresses[0].display_name == "Kampagne Ü"
    assert message["From"].addresses[0].addr_spec == "campaign@example.org"
    assert message["List-Unsubscribe"] == f"<{email.unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert text.replace("\r\n", "\n") == email.text
    assert html.replace("\r\n", "\n") == email.html


def test_each_written_message_has_its_own_id(settings):
    writer = MessageWriter(settings.DEFAULT_FROM_EMAIL)

    first = _parse(writer.write(as_message(_email()), to="a@example.org"))
    second = _parse(writer.write(as_message(_email()), to="a@example.org"))

    assert first["Message-ID"] != second["Message-ID"]


def test_the_django_message_carries_the_same_email():
    email = _email()

    message = django_message(email, to="ada@example.org")

    assert message.subject == email.subject
    assert message.body == email.text
    assert message.alternatives[0][0] == email.html
    assert message.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )


def test_the_preview_token_names_nobody(petition):
    email = _draft(petition).personalise(first_name="Ada", token=PREVIEW_TOKEN)

    assert email.unsubscribe_url.endswith(f"/unsubscribe/{PREVIEW_TOKEN}/")
