from itertools import count

from django.utils import timezone

from actions.followups.models import FollowUp
from actions.models import Petition, Signature
from actions.tests.factories import make_signature

_n = count(1)


def make_follow_up(petition: Petition | None = None, **fields: object) -> FollowUp:
    """A draft to a petition's signers, or with statement= or topic=, theirs."""
    defaults = {
        "subject": "News about {{ petition_title }}",
        "body": "Dear {{ first_name }},\n\n**{{ signature_count }}** people signed.",
    }
    return FollowUp.objects.create(petition=petition, **defaults | fields)


def make_scheduled(petition: Petition | None = None, **fields: object) -> FollowUp:
    defaults = {"state": FollowUp.State.SCHEDULED, "scheduled_at": timezone.now()}
    return make_follow_up(petition, **defaults | fields)


def make_recipient(petition: Petition, **fields: object) -> Signature:
    """A confirmed signature that asked for updates."""
    n = next(_n)
    defaults = {
        "email": f"reader{n}@example.org",
        "state": Signature.State.CONFIRMED,
        "wants_updates": True,
        "consent_version": "v1",
    }
    return make_signature(petition, **defaults | fields)
