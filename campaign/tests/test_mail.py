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
