import io

from django.core.mail import EmailMultiAlternatives

from campaign.mail import ReadableConsoleBackend


def test_the_development_backend_prints_links_whole():
    link = "http://127.0.0.1:8000/petitions/p/confirm/" + "x" * 90 + "/"
    message = EmailMultiAlternatives(
        subject="Please confirm “Petition”",
        body=f"Open this link:\n\n{link}\n",
        to=["ada@example.org"],
    )
    message.attach_alternative(f"<a href='{link}'>confirm</a>", "text/html")
    stream = io.StringIO()

    ReadableConsoleBackend(stream=stream).send_messages([message])

    printed = stream.getvalue()
    assert link in printed.splitlines()
    assert "Subject: Please confirm “Petition”" in printed
    assert "To: ada@example.org" in printed


def test_the_development_backend_prints_reply_to_when_there_is_one():
    letter = EmailMultiAlternatives(
        subject="Refer the situation",
        body="Dear Ambassador,",
        to=["mission@example.org"],
        reply_to=["Sophal Keo <sophal@example.org>"],
    )
    stream = io.StringIO()

    ReadableConsoleBackend(stream=stream).send_messages(
        [letter, EmailMultiAlternatives(subject="S", body="B", to=["a@example.org"])]
    )

    printed = stream.getvalue()
    assert printed.count("Reply-To:") == 1
    assert "Reply-To: Sophal Keo <sophal@example.org>" in printed
