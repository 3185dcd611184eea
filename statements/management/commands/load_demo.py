"""Demo content: two statements on Myanmar, their quotes, topics, petitions
and a letter action to the UN Security Council's members.

Safe to run again: rows are found by slug (or name) and updated, never doubled.
The quotes are invented for the demo and attributed to a fictional spokesperson
of a fictional organisation, never to real people.
"""

import json
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from modeltranslation.translator import translator

from actions import lifecycle
from actions.counts import add_to_count
from actions.letters.demo import set_up_demo_letters
from actions.models import Petition, Signature, Target
from actions.timeline.models import Delivery
from actions.timeline.services import record_delivery
from staff.audit import system_user_id
from staff.twofactor import enrol_totp_device, enrolment_instructions
from statements.models import Quote, Statement, Topic
from statements.pages.demo import write_demo_pages

SPEAKER = "Regional research director (demo)"
ROLE = "Example Rights Network, a fictional organisation; demo content"

TITLE = "Cambodia's prime minister should call off his trip to Myanmar"
STANDFIRST = (
    "A visit to Myanmar's generals on 7-8 January would reward the coup and split "
    "ASEAN. Cambodia should use its year as chair for action on human rights, "
    "not for a photo opportunity."
)
BODY = """\
Cambodia's prime minister, Hun Sen, plans to travel to Myanmar on **7 and 8
January**. No head of government has made an official visit there since the
military took power on 1 February 2021.

The trip would break with the line ASEAN has taken so far. The bloc has kept
Myanmar's coup leader, Senior General Min Aung Hlaing, away from its recent
high-level meetings, an unusually sharp step for a group that rarely criticises
its members. Going alone sends the general the opposite message.

Inside Myanmar the violence goes on. In December, security forces were accused
of killing more than 30 civilians in Karenni State and burning their bodies;
two staff members of Save the Children were among the dead.

## What must happen

- The prime minister should **cancel the visit** and, as ASEAN chair, lead the
  bloc towards real pressure on the military.
- ASEAN should revive its five-point consensus and widen it to cover the
  protection of human rights and accountability for crimes.
- Because ASEAN alone has not stopped the atrocities, the **UN Security
  Council** should refer the situation in Myanmar to the International Criminal
  Court, impose targeted sanctions and put in place a global arms embargo.
"""
BACKGROUND = """\
The chair of the Association of Southeast Asian Nations (ASEAN) passes each year
to one of its ten members. Cambodia takes it over now; it last held it in 2012.

In April 2021 ASEAN agreed a **five-point consensus** on Myanmar: an immediate
end to the violence, dialogue between all parties, humanitarian access, a
special envoy of the bloc and a visit by an ASEAN delegation. It says nothing
about protecting human rights or holding anyone to account, and little of it has
been carried out.

Since the coup the military has killed more than 1,400 people and arrested or
detained more than 10,000, many of them peaceful protesters. Many of the
civilian leaders it ousted have been tried in unfair proceedings and given long
prison terms; in December, Aung San Suu Kyi was sentenced to four years in one
of many cases brought against her.

*Demo content: this statement was written to show the software; its quotes are
attributed to a fictional spokesperson of a fictional organisation.*
"""
STATEMENT = {
    "slug": "cambodia-cancel-myanmar-visit",
    "title": TITLE,
    "standfirst": STANDFIRST,
    "body": BODY,
    "background": BACKGROUND,
}
QUOTES = [
    (
        "A photo opportunity with the coup leader will not protect a single person "
        "in Myanmar. If the prime minister wants to help, he should call off this "
        "trip and use Cambodia's year at the head of ASEAN to press for real action.",
        True,
    ),
    (
        "Travelling alone undercuts the bloc's decision to keep the general away "
        "from its summits, and tells him that waiting it out will pay.",
        False,
    ),
    (
        "As chair, Cambodia can bring the five-point consensus back to life and "
        "widen it: an end to the violence, yes, but also protection of human "
        "rights and justice for the abuses.",
        False,
    ),
    (
        "ASEAN has shown time and again that it cannot stop these atrocities on "
        "its own. The Security Council has to act: a referral to the International "
        "Criminal Court, targeted sanctions and a worldwide arms embargo.",
        False,
    ),
]
TOPICS = [
    ("Hun Sen", "hun-sen", Topic.Kind.PERSON),
    ("Cambodia", "cambodia", Topic.Kind.COUNTRY),
    ("Myanmar", "myanmar", Topic.Kind.COUNTRY),
    ("ASEAN", "asean", Topic.Kind.ORGANISATION),
    ("UN Security Council", "un-security-council", Topic.Kind.ORGANISATION),
]
PETITIONS = [
    {
        "slug": "cancel-the-myanmar-visit",
        "title": "Cancel the visit to Myanmar",
        "target": ("Hun Sen", "Prime Minister of Cambodia"),
        "demand": (
            "Call off your 7-8 January visit to Myanmar. As chair of ASEAN, lead "
            "the bloc to firm action that ends the military's abuses and holds "
            "those responsible to account."
        ),
        "goal": 10_000,
    },
    {
        "slug": "refer-myanmar-to-the-icc",
        "title": "Refer Myanmar to the International Criminal Court",
        "target": ("UN Security Council", "The 15 members of the Security Council"),
        "demand": (
            "Refer the situation in Myanmar to the International Criminal Court, "
            "impose targeted sanctions on those responsible for crimes, and impose "
            "a global arms embargo on Myanmar."
        ),
        "goal": 50_000,
    },
]

# A letter action (actions.letters): supporters write to each member's mission.
LETTER_ACTION = {
    "slug": "write-to-the-security-council",
    "title": "Write to the Security Council's members",
    "target": ("UN Security Council", "The 15 members of the Security Council"),
    "demand": (
        "Write to the fifteen members of the Security Council: ask each to refer "
        "the situation in Myanmar to the International Criminal Court."
    ),
    "goal": 5_000,
    "kind": Petition.Kind.LETTER,
}

OLDER_TITLE = "Myanmar: ASEAN's five-point consensus must put human rights first"
OLDER_STANDFIRST = (
    "ASEAN's plan for Myanmar calls for an end to violence but is silent on human "
    "rights and accountability. It needs to say more, and be carried out."
)
OLDER_BODY = """\
The five-point consensus that ASEAN leaders agreed in **April 2021** asks for an
immediate end to the violence, dialogue among all parties, humanitarian access,
a special envoy and a visit by an ASEAN delegation.

It leaves out two things that matter most to the people of Myanmar: the
**protection of human rights** and **accountability** for the crimes committed
since the coup of 1 February 2021. Progress on even its narrow aims has been slow.
"""
OLDER_STATEMENT = {
    "slug": "asean-five-point-consensus-human-rights",
    "title": OLDER_TITLE,
    "standfirst": OLDER_STANDFIRST,
    "body": OLDER_BODY,
    "background": "*Demo content, written to show the software.*",
}
OLDER_PETITION = {
    "slug": "put-rights-in-the-consensus",
    "title": "Put human rights in the five-point consensus",
    "target": ("ASEAN leaders", "Heads of government of the ten ASEAN members"),
    "demand": (
        "Add the protection of human rights and accountability for abuses to the "
        "five-point consensus, and report publicly on its progress."
    ),
    "goal": 10_000,
}
# How the older petition reached its target (the timeline's delivery).
DELIVERED_TO = "The ASEAN Secretariat, for the ASEAN leaders"
DELIVERED_HOW = "Handed over in person with the signatures, in Jakarta"
# Confirmed demo signatures per petition slug, so counts are real rows.
DEMO_SIGNATURES = {
    "put-rights-in-the-consensus": 412,
    "cancel-the-myanmar-visit": 137,
    "refer-myanmar-to-the-icc": 58,
    "write-to-the-security-council": 12,
}
DEMO_COUNTRIES = ["KH", "MM", "TH", "MY", "ID", "PH", "GB", "FR", "DE", "US"]


# The demo's text in other languages: English text -> its translation, per
# language (statements/demo_translations/<code>.json). A language without a
# file shows the original with a note, as a real untranslated page would.
DEMO_TRANSLATIONS = Path(__file__).resolve().parents[2] / "demo_translations"


def translate_demo() -> None:
    """Fill the other languages' columns of every translated field whose
    English text the demo's translations know."""
    for code, _name in settings.LANGUAGES:
        path = DEMO_TRANSLATIONS / f"{code}.json"
        if code == settings.LANGUAGE_CODE or not path.exists():
            continue
        known = json.loads(path.read_text(encoding="utf-8"))
        for model in translator.get_registered_models(abstract=False):
            fields = list(translator.get_options_for_model(model).all_fields)
            for row in model._default_manager.all():
                changed = {
                    f"{field}_{code}": known[original]
                    for field in fields
                    if (original := getattr(row, f"{field}_{settings.LANGUAGE_CODE}"))
                    in known
                }
                if changed:
                    model._default_manager.filter(pk=row.pk).update(**changed)


class Command(BaseCommand):
    help = "Create or refresh the demo statements, petitions and admin user."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        topics = [
            Topic.objects.update_or_create(
                slug=slug, defaults={"name": name, "kind": kind}
            )[0]
            for name, slug, kind in TOPICS
        ]
        older = self._statement(OLDER_STATEMENT, now - timedelta(days=9))
        older.topics.set([t for t in topics if t.slug in {"myanmar", "asean"}])
        closed = self._petition(older, OLDER_PETITION, now - timedelta(days=9))
        self._signatures(closed)
        self._delivered(closed, now)

        statement = self._statement(STATEMENT, now)
        statement.topics.set(topics)
        for position, (text, is_pull_quote) in enumerate(QUOTES):
            fields = {"text": text, "is_pull_quote": is_pull_quote}
            Quote.objects.update_or_create(
                statement=statement,
                position=position,
                defaults=fields | {"speaker": SPEAKER, "role": ROLE},
            )
        for position, data in enumerate(PETITIONS):
            self._signatures(
                self._petition(statement, data | {"position": position}, now)
            )
        position = len(PETITIONS)
        letters = self._petition(statement, LETTER_ACTION | {"position": position}, now)
        self._signatures(letters)
        set_up_demo_letters(letters)
        write_demo_pages()

        translate_demo()
        self._admin_user()
        url = settings.SITE_URL + statement.get_absolute_url()
        self.stdout.write(self.style.SUCCESS(f"Demo statement: {url}"))

    def _delivered(self, petition: Petition, now: datetime) -> None:
        """The older petition closed six days ago and delivered five days ago,
        with no answer yet: its page shows the accountability clock."""
        system = system_user_id()
        if petition.state == Petition.State.OPEN:
            lifecycle.make_transition(
                petition=petition, name="close", user_id=system, at=now - timedelta(6)
            )
            petition.refresh_from_db()
        if not Delivery.objects.filter(petition=petition).exists():
            delivered_at = now - timedelta(days=5)
            record_delivery(
                delivery=Delivery(
                    petition=petition,
                    delivered_at=delivered_at,
                    to_whom=DELIVERED_TO,
                    how=DELIVERED_HOW,
                    published_at=delivered_at,
                ),
                user_id=system,
            )

    def _statement(self, text: dict, publish_at: datetime) -> Statement:
        # The publish time is set once, so the home page order survives re-runs.
        statement, _ = Statement.objects.update_or_create(
            slug=text["slug"],
            defaults=text,
            create_defaults=text
            | {
                "state": Statement.State.PUBLISHED,
                "publish_at": publish_at,
                "published_at": publish_at,
            },
        )
        return statement

    def _petition(
        self, statement: Statement, data: dict, opens_at: datetime
    ) -> Petition:
        name, description = data["target"]
        target, _ = Target.objects.update_or_create(
            name=name, defaults={"description": description}
        )
        fields = {
            "statement": statement,
            "target": target,
            "title": data["title"],
            "demand": data["demand"],
            "goal": data["goal"],
            "position": data.get("position", 0),
            "kind": data.get("kind", Petition.Kind.PETITION),
        }
        petition, _ = Petition.objects.update_or_create(
            slug=data["slug"],
            defaults=fields,
            create_defaults=fields | {"opens_at": opens_at},
        )
        return petition

    def _signatures(self, petition: Petition) -> None:
        """Confirmed demo signers (example.org addresses), created once."""
        if Signature.objects.filter(petition=petition).exists():
            return
        now = timezone.now()
        signatures = [
            Signature(
                petition=petition,
                first_name="Demo",
                last_name=f"Supporter {n}",
                email=f"supporter{n}@example.org",
                canonical_email=f"supporter{n}@example.org",
                country=DEMO_COUNTRIES[n % len(DEMO_COUNTRIES)],
                source="demo",
                state=Signature.State.CONFIRMED,
                created_at=now,
                confirmed_at=now,
            )
            for n in range(DEMO_SIGNATURES.get(petition.slug, 0))
        ]
        Signature.objects.bulk_create(signatures)
        add_to_count(petition_id=petition.pk, delta=len(signatures))

    def _admin_user(self) -> None:
        """The admin user, with a TOTP device: the admin needs a second factor."""
        password = os.environ.get("ADMIN_PASSWORD", "")
        user, created = get_user_model().objects.get_or_create(
            username="admin",
            defaults={"is_staff": True, "is_superuser": True, "email": ""},
        )
        if not created and not password:
            self.stdout.write("Admin user 'admin' exists; its password is unchanged.")
        else:
            if not password:
                password = secrets.token_urlsafe(16)
                self.stdout.write(f"Admin user 'admin' created, password: {password}")
            else:
                verb = "created" if created else "updated"
                self.stdout.write(f"Admin user 'admin' {verb} with ADMIN_PASSWORD.")
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
        if TOTPDevice.objects.filter(user=user).exists():
            self.stdout.write(
                "Its TOTP device is unchanged (a new one: manage.py enrol_totp admin)."
            )
            return
        self.stdout.write("The admin asks for a second factor.")
        self.stdout.write(enrolment_instructions(enrol_totp_device(user=user)))
