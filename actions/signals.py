"""Receivers of other apps' signals; connected in ActionsConfig.ready."""

from anymail.signals import AnymailTrackingEvent

from actions import suppressions


def record_tracking_event(
    sender: type, event: AnymailTrackingEvent, esp_name: str, **kwargs: object
) -> None:
    """A mail provider's verified tracking event: hard bounces and complaints
    go on the suppression list."""
    suppressions.record_tracking_event(event=event, provider=esp_name)
