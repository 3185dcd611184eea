"""Receivers of other apps' signals; connected in SuppressionsConfig.ready."""

from anymail.signals import AnymailTrackingEvent

from actions.suppressions import services


def record_tracking_event(
    sender: type, event: AnymailTrackingEvent, esp_name: str, **kwargs: object
) -> None:
    """A mail provider's verified tracking event: hard bounces and complaints
    go on the suppression list."""
    services.record_tracking_event(event=event, provider=esp_name)
