"""Create the benchmark's content: one published statement with one open petition.

Run by bench/run.py with the production environment set; prints the slugs as
JSON. The text is about as long as a real statement, so the statement page
renders what a supporter would see.
"""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from actions.abuse.models import AbuseSettings  # noqa: E402
from actions.abuse.stamp import make_stamp  # noqa: E402
from actions.models import Petition, Target  # noqa: E402
from statements.models import Quote, Statement, Topic  # noqa: E402

STATEMENT_SLUG = "bench-cancel-the-visit"
PETITION_SLUG = "bench-cancel-the-visit-petition"

BODY = """\
A head of government is about to become the first leader to make an official
visit to a country whose army seized power in a coup. Human-rights researchers
say the trip risks rewarding the generals and undercutting the regional bloc,
which has kept the coup leader away from its high-level meetings.

The visit comes as the visiting country takes over the rotating chair of the
regional bloc. Its leader should use that role to **press for real action**:
an immediate end to violence, access for humanitarian aid, and accountability
for abuses, rather than a photo opportunity with the men responsible.

Since the coup, security forces have killed well over a thousand people and
detained many thousands more, most of them peaceful protesters. Elected
leaders have been tried in closed courts on charges widely seen as invented,
and handed long prison terms.

Regional diplomacy alone has not stopped these atrocities. The UN Security
Council should:

1. refer the situation to the International Criminal Court;
2. impose a comprehensive global arms embargo;
3. adopt targeted sanctions against the military leadership.
"""

BACKGROUND = """\
The regional bloc agreed a five-point plan soon after the coup: an end to
violence, dialogue among all parties, aid access, a special envoy, and a visit
by a delegation. The plan says nothing about human rights or accountability,
and little of it has been carried out.

The chair of the bloc rotates every year among its ten members. The visiting
country last held it a decade ago. [Read the full plan](https://example.org/plan).
"""

QUOTES = [
    (
        "A. Researcher",
        "Deputy Regional Director for Research",
        "If the Prime Minister truly wants to help, he should cancel this trip "
        "and lead the region to strong action instead of empty gestures.",
        True,
    ),
    (
        "A. Researcher",
        "Deputy Regional Director for Research",
        "The nightmare goes on for millions of people. Last month soldiers were "
        "accused of killing and burning more than thirty civilians, among them "
        "two aid workers.",
        False,
    ),
    (
        "A. Researcher",
        "Deputy Regional Director for Research",
        "The world cannot rely on the bloc alone. The Security Council must act.",
        False,
    ),
]


# The statement in French, so the bench reads a translated page (issue 10);
# set only where the model has languages.
FRENCH = {
    "title": "Le Premier ministre doit annuler la visite et éviter les gestes vides",
    "standfirst": (
        "La première visite officielle d'un chef de gouvernement depuis le coup "
        "d'État risque de récompenser les généraux. Annulez-la et exigez des actes."
    ),
    "body": """\
Un chef de gouvernement s'apprête à devenir le premier dirigeant à se rendre en
visite officielle dans un pays dont l'armée a pris le pouvoir par un coup
d'État. Selon les chercheurs en droits humains, ce voyage risque de récompenser
les généraux et d'affaiblir le bloc régional, qui tient le chef de la junte à
l'écart de ses réunions de haut niveau.

La visite a lieu alors que le pays visiteur prend la présidence tournante du
bloc régional. Son dirigeant devrait user de ce rôle pour **exiger une action
réelle** : la fin immédiate des violences, l'accès de l'aide humanitaire et
l'obligation de rendre des comptes, plutôt qu'une séance photo avec les
responsables.

Depuis le coup d'État, les forces de sécurité ont tué bien plus d'un millier de
personnes et en ont détenu des milliers d'autres, pour la plupart des
manifestants pacifiques. Des dirigeants élus ont été jugés à huis clos sur des
accusations largement considérées comme inventées, et condamnés à de longues
peines de prison.

La diplomatie régionale seule n'a pas arrêté ces atrocités. Le Conseil de
sécurité de l'ONU devrait :

1. saisir la Cour pénale internationale de la situation ;
2. imposer un embargo mondial complet sur les armes ;
3. adopter des sanctions ciblées contre la direction militaire.
""",
    "background": """\
Le bloc régional a adopté peu après le coup d'État un plan en cinq points : la
fin des violences, un dialogue entre toutes les parties, l'accès de l'aide, un
envoyé spécial et la visite d'une délégation. Le plan ne dit rien des droits
humains ni de l'obligation de rendre des comptes, et il a été peu appliqué.

La présidence du bloc change chaque année entre ses dix membres. Le pays
visiteur l'a exercée pour la dernière fois il y a dix ans.
[Lire le plan complet](https://example.org/plan).
""",
}
FRENCH_QUOTES = [
    "Si le Premier ministre veut vraiment aider, il doit annuler ce voyage et "
    "entraîner la région vers une action forte plutôt que des gestes vides.",
    "Le cauchemar continue pour des millions de personnes. Le mois dernier, des "
    "soldats ont été accusés d'avoir tué et brûlé plus de trente civils, dont "
    "deux travailleurs humanitaires.",
    "Le monde ne peut pas compter sur le seul bloc régional. Le Conseil de "
    "sécurité doit agir.",
]


def translate_to_french(statement: Statement, petition: Petition) -> None:
    if not hasattr(statement, "title_fr"):
        return  # a commit from before languages
    for field, text in FRENCH.items():
        setattr(statement, f"{field}_fr", text)
    statement.save()
    for quote, text in zip(statement.quotes.all(), FRENCH_QUOTES, strict=True):
        quote.text_fr, quote.role_fr = text, "Directeur adjoint de la recherche"
        quote.save()
    petition.title_fr = "Annulez la visite"
    petition.demand_fr = (
        "Annulez la visite et entraînez la région vers une action forte."
    )
    petition.save()


@transaction.atomic
def seed() -> dict[str, str]:
    now = timezone.now()
    statement = Statement.objects.create(
        title="Prime Minister should cancel the visit and avoid empty gestures",
        slug=STATEMENT_SLUG,
        standfirst=(
            "The first official visit by a head of government since the coup "
            "risks rewarding the generals. Cancel it and press for action."
        ),
        body=BODY,
        background=BACKGROUND,
        state=Statement.State.PUBLISHED,
        publish_at=now - timedelta(hours=1),
        published_at=now - timedelta(hours=1),
    )
    for slug, name, kind in [
        ("bench-cambodia", "Cambodia", Topic.Kind.COUNTRY),
        ("bench-myanmar", "Myanmar", Topic.Kind.COUNTRY),
        ("bench-asean", "ASEAN", Topic.Kind.ORGANISATION),
    ]:
        statement.topics.add(Topic.objects.create(name=name, slug=slug, kind=kind))
    for position, (speaker, role, text, is_pull) in enumerate(QUOTES):
        Quote.objects.create(
            statement=statement,
            speaker=speaker,
            role=role,
            text=text,
            is_pull_quote=is_pull,
            position=position,
        )
    target = Target.objects.create(
        name="Prime Minister of Cambodia", description="Head of government"
    )
    petition = Petition.objects.create(
        statement=statement,
        target=target,
        title="Cancel the visit",
        slug=PETITION_SLUG,
        demand="Cancel the visit and lead the region to strong action.",
        goal=1_000_000,
        opens_at=now - timedelta(hours=1),
    )
    # The load comes from one client: limits so high that none is reached, yet
    # on, so every signature still pays for its rate-limit check.
    AbuseSettings.objects.create(
        petition=petition, burst_limit=10**9, sustained_limit=10**9
    )
    translate_to_french(statement, petition)
    return {
        "statement": STATEMENT_SLUG,
        "petition": PETITION_SLUG,
        # The signing form's start time, as a page served an hour ago gives it.
        "stamp": make_stamp(now.timestamp() - 3600, petition_id=petition.pk),
    }


if __name__ == "__main__":
    print(json.dumps(seed()))
