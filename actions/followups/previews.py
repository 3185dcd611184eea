"""A follow-up before it goes out: the preview in the admin and "send me a
test", both with links that unsubscribe nobody."""

from django.utils.translation import gettext

from actions.core.bulk.transport import Unmarked, open_transport
from actions.followups import audience, rendering
from actions.followups.models import FollowUp
from actions.followups.rendering import Email
from actions.models import Signature
from staff.audit import record_preview, record_signer_view


def sample_first_name(follow_up: FollowUp, *, of_a_signer: bool) -> str:
    """A first name to preview with: the first recipient's if the viewer may
    see signers, else a stand-in."""
    first = _first_recipient(follow_up) if of_a_signer else None
    return first.first_name if first else gettext("Alex")


def preview(
    follow_up: FollowUp, *, of_a_signer: bool = False, language: str = ""
) -> Email:
    """The follow-up as its first recipient would get it (with a stand-in name
    unless ``of_a_signer``) in ``language`` (the original when empty), with
    links that unsubscribe nobody."""
    first_name = sample_first_name(follow_up, of_a_signer=of_a_signer)
    return _personalised(follow_up, first_name=first_name, language=language)


def preview_for_staff(
    follow_up: FollowUp, *, user_id: int, of_a_signer: bool = False, language: str = ""
) -> Email:
    """The preview a staff member opens, written to the audit log: who, the
    audience chosen and how many people it matches; and, when it names a
    signer of a sensitive petition, that look at its signers too."""
    first = _first_recipient(follow_up) if of_a_signer else None
    record_preview(
        user_id=user_id,
        obj=follow_up,
        what="follow_up",
        filters=describe(follow_up),
        matched=audience.recipients(follow_up)
        .values("canonical_email")
        .distinct()
        .count(),
    )
    if first is not None and first.petition.sensitive:
        record_signer_view(
            user_id=user_id, petition=first.petition, via="follow_up_preview"
        )
    first_name = first.first_name if first else gettext("Alex")
    return _personalised(follow_up, first_name=first_name, language=language)


def describe(follow_up: FollowUp) -> dict[str, str]:
    """The follow-up's audience for the audit log: no signer's data."""
    chosen = {
        "petition": follow_up.petition_id,
        "statement": follow_up.statement_id,
        "topic": follow_up.topic_id,
        "trigger": follow_up.trigger,
        "signed_version_at_most": follow_up.signed_version_at_most,
    }
    return {name: str(value) for name, value in chosen.items() if value is not None}


def _first_recipient(follow_up: FollowUp) -> Signature | None:
    return (
        audience.recipients(follow_up).select_related("petition").order_by("pk").first()
    )


def _personalised(follow_up: FollowUp, *, first_name: str, language: str) -> Email:
    count = audience.signature_count(follow_up)
    draft = rendering.render_draft(follow_up, count=count, language=language)
    return draft.personalise(first_name=first_name, token=rendering.PREVIEW_TOKEN)


def send_test(*, follow_up: FollowUp, to_email: str, language: str = "") -> None:
    """Send the preview to a campaigner the way signers of ``language`` (the
    original when empty) get it, marked as a test, with a stand-in name: it
    leaves the site, so it names no signer.

    Raises Refused or ConnectionLost when the mail server does not take it.
    """
    email = preview(follow_up, language=language)
    subject = gettext("[Test] %(subject)s") % {"subject": email.subject}
    email = Email(subject, email.text, email.html, email.unsubscribe_url)
    with open_transport() as transport:
        transport.send(
            to=to_email, message=rendering.as_message(email), mark=Unmarked()
        )
