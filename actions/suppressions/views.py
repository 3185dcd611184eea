"""The mail provider's tracking webhook, with the checks Anymail leaves out."""

import json
import logging

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from django.http import HttpRequest, HttpResponse

from actions.suppressions import services

logger = logging.getLogger(__name__)


class MailgunTrackingWebhook(MailgunTrackingWebhookView):
    """Mailgun's tracking events (Anymail checks the password and the
    signature), refused when older than WEBHOOK_MAX_AGE_SECONDS or seen
    before: a captured event cannot be replayed (400). When Redis, which
    remembers the tokens seen, does not answer, the event is refused with a
    503 and Mailgun tries again later (fail closed)."""

    def post(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except services.TokenStoreDown:
            logger.warning("Token store unavailable; a Mailgun event was refused")
            return HttpResponse(status=503)
        except Exception:
            # The event was not recorded: let Mailgun's retry of it in.
            token = getattr(request, "_mailgun_token", None)
            if token is not None:
                services.release_event_token(token)
            raise

    def run_validators(self, request: HttpRequest) -> None:
        # Anymail's checks first (in its order the subclass's would run first).
        super().run_validators(request)
        token, timestamp = _token_and_timestamp(request)
        try:
            services.claim_event_token(token=token, timestamp=timestamp)
        except services.StaleEvent as exc:
            raise AnymailWebhookValidationFailure(
                "Mailgun webhook event is too old or too far ahead"
            ) from exc
        except services.ReplayedEvent as exc:
            raise AnymailWebhookValidationFailure(
                "Mailgun webhook event was seen before"
            ) from exc
        request._mailgun_token = token  # type: ignore[attr-defined]


def _token_and_timestamp(request: HttpRequest) -> tuple[str, str]:
    """The signed token and timestamp (Anymail has read them already)."""
    if request.content_type == "application/json":
        block = json.loads(request.body.decode("utf-8"))["signature"]
        return str(block["token"]), str(block["timestamp"])
    return request.POST["token"], request.POST["timestamp"]
