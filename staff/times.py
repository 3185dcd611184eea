"""Times as staff read them: in the site's time zone (TIME_ZONE), named.

The admin's own columns and read-only fields name the zone through
DATETIME_FORMAT (campaign/formats/); these helpers do the same for messages
and for the help of date and time inputs.
"""

from datetime import datetime

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext


def site_time(moment: datetime) -> str:
    """A moment in the site's time zone, its zone named: "Dec. 4, 2026, 6:05
    p.m. CET"."""
    return formats.localize(timezone.localtime(moment))


def zone_note() -> str:
    """Which zone dates and times typed into the admin are read in."""
    return gettext("Times are in the site's time zone, %(zone)s.") % {
        "zone": settings.TIME_ZONE
    }
