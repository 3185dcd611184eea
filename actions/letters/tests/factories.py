from itertools import count

from actions.letters.models import (
    CountryRecipient,
    Letter,
    LetterAction,
    LetterSettings,
    Recipient,
)
from actions.models import Petition, Signature
from actions.tests.factories import make_signature, make_target
from statements.models import Statement
from statements.tests.factories import make_statement

_n = count(1)

MODEL_LETTER = (
    "Dear Ambassador,\n\nPlease ask your government to refer the situation to "
    "the International Criminal Court.\n\nYours sincerely,"
)


def make_recipient(**fields: object) -> Recipient:
    n = next(_n)
    defaults = {
        "name": f"Recipient {n}",
        "role": "Ambassador",
        "organisation": f"Embassy {n}",
        "country": "FR",
        "email": f"embassy{n}@example.org",
        "postal_address": f"{n} Rue de l'Exemple\n75000 Paris",
    }
    return Recipient.objects.create(**defaults | fields)


def make_letter_action(
    statement: Statement | None = None,
    *,
    recipients: list[Recipient] | None = None,
    by_country: dict[str, Recipient] | None = None,
    fallback: Recipient | None = None,
    **settings: object,
) -> LetterAction:
    """A letter action: to ``recipients`` (fixed; one new one by default), or
    to the recipient of the supporter's country (``by_country``)."""
    n = next(_n)
    action = LetterAction.objects.create(
        statement=statement or make_statement(),
        target=make_target(),
        title=f"Write to the embassy {n}",
        slug=f"letter-{n}",
        demand="Refer the situation to the International Criminal Court.",
        goal=100,
    )
    mode = LetterSettings.RecipientMode
    defaults = {
        "subject": "Refer the situation to the ICC",
        "body": MODEL_LETTER,
        "min_length": 20,
        "max_length": 2000,
        "recipient_mode": mode.BY_COUNTRY if by_country else mode.FIXED,
        "fallback_recipient": fallback,
    }
    letter_settings = LetterSettings.objects.create(
        action=action, **defaults | settings
    )
    if by_country:
        for country, recipient in by_country.items():
            CountryRecipient.objects.create(
                action=action, country=country, recipient=recipient
            )
    else:
        letter_settings.recipients.set(recipients or [make_recipient()])
    return action


def make_letters(
    action: Petition,
    recipients: list[Recipient],
    *,
    signature: Signature | None = None,
    **fields: object,
) -> list[Letter]:
    """One writer's letters, one per recipient (a new signature unless
    given); waiting, as before confirmation, unless ``fields`` say otherwise."""
    signature = signature or make_signature(action)
    defaults = {
        "subject": "Refer the situation to the ICC",
        "body": MODEL_LETTER,
    }
    return [
        Letter.objects.create(
            signature=signature,
            action=action,
            recipient=recipient,
            **defaults | fields,
        )
        for recipient in recipients
    ]
