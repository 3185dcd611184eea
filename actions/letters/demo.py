"""The demo's letter action (load_demo): supporters write to the members of
the UN Security Council. Every address is a fictional one at example.org."""

from django.utils import timezone

from actions.letters.models import Letter, LetterSettings, Recipient
from actions.models import Petition, Signature

# The Council's members as the demo lists them: the five permanent members and
# ten elected ones. Names of offices only; addresses and emails are invented.
MEMBERS = [
    ("China", "CN"),
    ("France", "FR"),
    ("the Russian Federation", "RU"),
    ("the United Kingdom", "GB"),
    ("the United States", "US"),
    ("Bahrain", "BH"),
    ("Colombia", "CO"),
    ("the Democratic Republic of the Congo", "CD"),
    ("Denmark", "DK"),
    ("Greece", "GR"),
    ("Latvia", "LV"),
    ("Liberia", "LR"),
    ("Pakistan", "PK"),
    ("Panama", "PA"),
    ("Somalia", "SO"),
]
SUBJECT = "Refer the situation in Myanmar to the International Criminal Court"
# One line per paragraph: the letter is plain text, and mail clients wrap it.
BODY = "\n\n".join(
    [
        "Dear Permanent Representative,",
        "Since the coup of 1 February 2021, Myanmar's military has killed more "
        "than 1,400 people and detained more than 10,000, many of them peaceful "
        "protesters. ASEAN has shown that it cannot stop these atrocities on its "
        "own.",
        "I urge your government to use its seat on the Security Council to refer "
        "the situation in Myanmar to the International Criminal Court, to impose "
        "targeted sanctions on those responsible, and to put in place a global "
        "arms embargo.",
        "Yours sincerely,",
    ]
)


def demo_recipients() -> list[Recipient]:
    """The fifteen missions, made once and refreshed by email."""
    recipients = []
    for n, (country, code) in enumerate(MEMBERS, start=1):
        slug = code.lower()
        recipient, _ = Recipient.objects.update_or_create(
            email=f"mission-{slug}@example.org",
            defaults={
                "name": "Permanent Representative (demo)",
                "role": "Permanent Representative to the United Nations",
                "organisation": f"Permanent Mission of {country} to the UN (demo)",
                "country": "US",
                "postal_address": f"{n} Example Plaza\nNew York, NY 10017\n(demo)",
            },
        )
        recipients.append(recipient)
    return recipients


def set_up_demo_letters(action: Petition) -> None:
    """The action's letter to the Council's members, in individual mode, so a
    letter written in `make run` prints in the terminal once it is confirmed,
    like every other email; its demo writers' letters (confirmed signatures)
    shown as sent, so nothing leaves at start."""
    recipients = demo_recipients()
    settings, _ = LetterSettings.objects.update_or_create(
        action=action,
        defaults={
            "subject": SUBJECT,
            "body": BODY,
            "is_editable": True,
            "min_length": 100,
            "max_length": 3000,
            "recipient_mode": LetterSettings.RecipientMode.FIXED,
            "delivery_mode": LetterSettings.DeliveryMode.INDIVIDUAL,
            "moderation_words": "idiot\nstupid",
            "max_links": 2,
        },
    )
    settings.recipients.set(recipients)
    writers = Signature.objects.filter(
        petition=action, state=Signature.State.CONFIRMED, letters=None
    )
    now = timezone.now()
    Letter.objects.bulk_create(
        Letter(
            signature=writer,
            action=action,
            recipient=recipient,
            subject=SUBJECT,
            body=BODY,
            delivery_state=Letter.Delivery.SENT,
            queued_at=now,
            sent_at=now,
        )
        for writer in writers
        for recipient in recipients
    )
