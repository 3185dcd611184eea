from itertools import count

from django.utils import timezone

from actions.models import Petition, Signature, Target
from actions.services import canonical_email
from statements.models import Statement
from statements.tests.factories import make_statement

_n = count(1)


def make_target(**fields: object) -> Target:
    n = next(_n)
    defaults = {"name": f"Target {n}", "description": "Head of government"}
    return Target.objects.create(**defaults | fields)


def make_petition(statement: Statement | None = None, **fields: object) -> Petition:
    n = next(_n)
    defaults = {
        "statement": statement or make_statement(),
        "target": make_target(),
        "title": f"Petition {n}",
        "slug": f"petition-{n}",
        "demand": "Cancel the visit.",
        "goal": 100,
    }
    return Petition.objects.create(**defaults | fields)


def make_signature(petition: Petition, **fields: object) -> Signature:
    n = next(_n)
    email = fields.pop("email", f"signer{n}@example.org")
    defaults = {
        "first_name": "Ada",
        "last_name": f"Signer {n}",
        "email": email,
        "canonical_email": canonical_email(email),
        "country": "KH",
    }
    if fields.get("state") == Signature.State.CONFIRMED:
        defaults["confirmed_at"] = timezone.now()
    return Signature.objects.create(petition=petition, **defaults | fields)
