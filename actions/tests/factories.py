import importlib
import time
from itertools import count

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.utils import timezone

from actions.abuse.stamp import make_stamp
from actions.core.canonical import canonical_email
from actions.models import Petition, Signature, Target
from actions.outbox.models import OutboundEmail
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


def make_outbound_email(petition: Petition, **fields: object) -> OutboundEmail:
    """A confirmation in the outbox, to a new signer of ``petition``."""
    signature = make_signature(petition)
    return OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM,
        to_email=signature.email,
        signature=signature,
        **fields,
    )


# The data migrations that make or extend the staff roles, and their function.
ROLE_MIGRATIONS = [
    ("0005_roles", "add_roles"),
    ("0007_campaigners_write_follow_ups", "add_follow_ups"),
    ("0008_privacy", "add_reports_permissions"),
    ("0010_campaigners_handle_abuse", "add_abuse_controls"),
    ("0014_campaigners_record_the_timeline", "add_timeline"),
    ("letters:0002_campaigners_write_letters", "add_letters"),
]


def role(name: str) -> Group:
    """A staff role's group, as the roles migrations made it.

    Transactional tests flush the database, data migrations' rows with it;
    the migrations' own code makes them again then.
    """
    if not Group.objects.filter(name=name).exists():
        for module, function in ROLE_MIGRATIONS:
            app, _, migration_name = module.rpartition(":")
            package = "actions.letters" if app == "letters" else "actions"
            migration = importlib.import_module(
                f"{package}.migrations.{migration_name}"
            )
            getattr(migration, function)(apps, None)
    return Group.objects.get(name=name)


def make_staff(
    username: str, *, roles: tuple[str, ...] = (), superuser: bool = False
) -> User:
    """A staff account (no usable password: tests log in with force_login)."""
    user = User.objects.create_user(username, is_staff=True, is_superuser=superuser)
    user.groups.add(*(role(name) for name in roles))
    return user


def petition_change_data(petition: Petition, **fields: object) -> dict:
    """What the admin's petition change form posts, its abuse settings inline
    empty, with these fields changed."""
    opens_at = timezone.localtime(petition.opens_at)
    data = {
        "statement": petition.statement_id,
        "target": petition.target_id,
        "title_en": petition.title,
        "slug": petition.slug,
        "demand_en": petition.demand,
        "position": 0,
        "goal": petition.goal,
        "opens_at_0": opens_at.strftime("%Y-%m-%d"),
        "opens_at_1": opens_at.strftime("%H:%M:%S"),
        "state": petition.state,
        "name_fields": petition.name_fields,
        # A ticked box is sent as "on"; an unticked one is not sent at all.
        **{
            name: "on"
            for name in ["country_required", "names_to_target"]
            if getattr(petition, name)
        },
        "abuse_settings-TOTAL_FORMS": 1,
        "abuse_settings-INITIAL_FORMS": 0,
        "abuse_settings-MIN_NUM_FORMS": 0,
        "abuse_settings-MAX_NUM_FORMS": 1,
        "abuse_settings-0-petition": petition.pk,
    }
    return data | fields


def stamp_for(petition: Petition) -> str:
    """The time stamp of a form served a minute ago on this petition's page
    (actions.abuse.stamp: a stamp is bound to its petition)."""
    return make_stamp(time.time() - 60, petition_id=petition.pk)
