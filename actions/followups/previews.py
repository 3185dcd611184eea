"""A follow-up before it goes out: the preview in the admin and "send me a
test", both with links that unsubscribe nobody."""

from django.utils.translation import gettext

from actions.followups import audience, rendering
from actions.followups.models import FollowUp
from actions.followups.rendering import Email
from actions.followups.transport import Unmarked, open_transport


def sample_first_name(follow_up: FollowUp, *, of_a_signer: bool) -> str:
    """A first name to preview with: the first recipient's if the viewer may
    see signers, else a stand-in."""
    first = of_a_signer and audience.recipients(follow_up).order_by("pk").first()
    return first.first_name if first else gettext("Alex")


def preview(follow_up: FollowUp, *, of_a_signer: bool = False) -> Email:
    """The follow-up as its first recipient would get it (with a stand-in name
    unless ``of_a_signer``), with links that unsubscribe nobody."""
    first_name = sample_first_name(follow_up, of_a_signer=of_a_signer)
    draft = rendering.render_draft(follow_up, count=audience.signature_count(follow_up))
    return draft.personalise(first_name=first_name, token=rendering.PREVIEW_TOKEN)


def send_test(*, follow_up: FollowUp, to_email: str) -> None:
    """Send the preview to a campaigner the way signers get it, marked as a
    test, with a stand-in name: it leaves the site, so it names no signer.

    Raises Refused or ConnectionLost when the mail server does not take it.
    """
    email = preview(follow_up)
    subject = gettext("[Test] %(subject)s") % {"subject": email.subject}
    email = Email(subject, email.text, email.html, email.unsubscribe_url)
    with open_transport() as transport:
        transport.send(to=to_email, email=email, mark=Unmarked())
