from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from actions.core.tokens import make_confirmation_token
from actions.letters.models import Letter, Recipient
from actions.models import Petition, PetitionCounter, Signature, Target
from actions.tests.factories import stamp_for
from statements.models import Quote, Statement, Topic

pytestmark = pytest.mark.django_db

DEMO_MODELS = [Statement, Quote, Topic, Target, Petition, PetitionCounter]
DEMO_MODELS += [Recipient, Letter]


def _load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in DEMO_MODELS}
    # People who can log in: the audit log's inactive "system" user is not one.
    people = get_user_model().objects.filter(is_active=True)
    return counts | {"users": people.count()}


def test_running_the_demo_twice_creates_nothing_new(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()
    first = _counts()

    _load_demo()

    assert _counts() == first
    assert first["Statement"] == 2
    assert first["Petition"] == 4  # three petitions and a letter action
    assert first["Letter"] == 12 * 15
    assert first["users"] == 1


def test_demo_statement_is_published_with_one_pull_quote(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()
    _load_demo()

    statement = Statement.objects.get(slug="cambodia-cancel-myanmar-visit")
    assert statement.is_public
    assert statement.quotes.filter(is_pull_quote=True).count() == 1
    assert statement.topics.count() >= 4
    petitions = statement.petitions.filter(kind=Petition.Kind.PETITION)
    assert sorted(p.goal for p in petitions) == [10_000, 50_000]


def test_demo_statement_page_shows_both_petitions_targets(client, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    output = _load_demo()
    statement = Statement.objects.get(slug="cambodia-cancel-myanmar-visit")

    response = client.get(statement.get_absolute_url())

    assert response.status_code == 200
    assert "Prime Minister of Cambodia" in response.text
    assert "UN Security Council" in response.text
    assert response.text.count('class="sign-form"') == 3  # two petitions, a letter
    assert statement.get_absolute_url() in output


def test_demo_letter_action_writes_to_the_security_councils_members(
    client, monkeypatch
):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()
    statement = Statement.objects.get(slug="cambodia-cancel-myanmar-visit")

    page = client.get(statement.get_absolute_url()).text

    action = statement.petitions.get(kind=Petition.Kind.LETTER)
    recipients = action.letter_settings.recipients.all()
    assert recipients.count() == 15
    assert all(r.email.endswith("@example.org") for r in recipients)
    assert "Dear Permanent Representative," in page
    assert "Send my letter" in page
    assert "180</strong> letters sent to 15 recipients" in " ".join(page.split())


def test_demo_has_a_closed_petition_with_a_final_count(client, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()
    # Closed, then delivered: it no longer takes signatures.
    closed = Petition.objects.get(state=Petition.State.DELIVERED)

    response = client.get(closed.statement.get_absolute_url())

    assert response.status_code == 200
    assert closed.confirmed_count() > 0
    assert f"{closed.confirmed_count():,}" in response.text
    assert "no longer takes signatures" in response.text


def test_demo_has_a_delivered_petition_whose_clock_runs(client, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()
    _load_demo()  # once delivered, a rerun changes nothing
    delivered = Petition.objects.get(state=Petition.State.DELIVERED)

    page = client.get(delivered.statement.get_absolute_url()).text

    assert delivered.closed_at < delivered.delivered_at
    assert "5 days since delivery to ASEAN leaders; no answer yet." in page


def test_home_page_lists_both_demo_statements(client, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()

    response = client.get("/")

    assert response.text.count('class="statement-item"') == 2


def test_demo_admin_gets_a_generated_password_that_a_rerun_keeps(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    output = _load_demo()
    password = output.split("password: ")[1].split()[0]

    rerun = _load_demo()

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)
    assert "unchanged" in rerun


def test_demo_admin_password_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-demo-passphrase")

    output = _load_demo()

    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password("a-long-demo-passphrase")
    assert "ADMIN_PASSWORD" in output


def test_a_letter_written_on_the_demo_goes_out_once_confirmed(
    client, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    """In `make run` (tasks in process, the console's mail) the letters print
    in the terminal like every other email."""
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    _load_demo()
    action = Petition.objects.get(kind=Petition.Kind.LETTER)
    letter = action.letter_settings
    form = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada.writer@example.org",
        "country": "FR",
        "started": stamp_for(action),
        "subject": letter.subject,
        "body": letter.body,
        "postal_town": "Lyon",
        "website": "",
    }

    with django_capture_on_commit_callbacks(execute=True):
        signed = client.post(
            reverse("actions:sign", kwargs={"slug": action.slug}), form
        )
    signature = Signature.objects.get(email="ada.writer@example.org")
    token = make_confirmation_token(signature.pk)
    confirm = reverse("actions:confirm", kwargs={"slug": action.slug, "token": token})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm)

    assert signed.status_code == 302
    letters = [m.message() for m in mailoutbox[1:]]  # after the confirmation
    assert len(letters) == 15  # one to each member's mission
    assert {m["Reply-To"] for m in letters} == {"Ada Lovelace <ada.writer@example.org>"}
    assert all(m["To"].endswith("@example.org") for m in letters)
    assert all("ada.writer" not in m["From"] for m in letters)
