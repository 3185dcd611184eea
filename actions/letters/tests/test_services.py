import pytest
from django.utils import timezone

from actions.letters import services, text
from actions.letters.models import Letter
from actions.letters.tests.factories import make_letter_action, make_recipient
from actions.models import Signature
from actions.privacy import services as privacy
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("<b>Free</b> them&nbsp;now", "Free them\xa0now"),
        (
            '<a href="https://example.org/r">report</a>',
            "report (https://example.org/r)",
        ),
        (
            '<a href="https://example.org/r">https://example.org/r</a>',
            "https://example.org/r",
        ),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ("<style>p{}</style><script>x()</script>Hi", "Hi"),
        ("a < b and c > d", "a < b and c > d"),
        ("one\r\n\r\n\r\n\r\ntwo\x00\x07", "one\n\ntwo"),
        ("<!-- hidden -->Shown", "Shown"),
    ],
)
def test_plain_text_strips_markup_and_keeps_links_as_text(typed, plain):
    assert text.plain_text(typed) == plain


@pytest.mark.parametrize(
    ("body", "only_links"),
    [
        ("https://example.org", True),
        ("www.example.org !", True),
        ("See https://example.org", False),
        ("No link here", False),
    ],
)
def test_a_letter_of_only_links(body, only_links):
    assert text.is_only_links(body) is only_links


def test_recipients_by_country_skip_inactive_ones_for_the_fallback():
    fallback = make_recipient()
    closed = make_recipient(is_active=False)
    action = make_letter_action(by_country={"FR": closed}, fallback=fallback)

    found = services.recipients_for(settings=action.letter_settings, country="FR")

    assert found == [fallback]


def _letters(action, *, delivery: str) -> Signature:
    signature = make_signature(action)
    now = timezone.now()
    for recipient in action.letter_settings.recipients.all():
        Letter.objects.create(
            signature=signature,
            action=action,
            recipient=recipient,
            subject="Mine",
            body="Ada from Lyon writes.",
            postal_town="Lyon",
            delivery_state=delivery,
            queued_at=now,
        )
    return signature


def test_a_supporters_copy_of_their_data_holds_their_letters():
    action = make_letter_action()
    signature = _letters(action, delivery=Letter.Delivery.QUEUED)

    copy = privacy.data_copy(signature)

    assert [letter["body"] for letter in copy["letters"]] == ["Ada from Lyon writes."]


def test_erasure_empties_letters_and_stops_unsent_ones():
    action = make_letter_action(recipients=[make_recipient(), make_recipient()])
    signature = _letters(action, delivery=Letter.Delivery.QUEUED)

    privacy.erase(signature=signature)

    letters = Letter.objects.filter(signature=signature)
    assert {(x.body, x.postal_town, x.subject) for x in letters} == {("", "", "")}
    assert {x.delivery_state for x in letters} == {Letter.Delivery.FAILED}
    assert services.letters_confirmed(signature=signature) == 0
