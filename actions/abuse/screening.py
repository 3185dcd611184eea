"""What signing checks before it takes a signature in: the block list, the
honeypot, the time taken to fill in the form and the rate limits.

Screening never refuses: it says why an attempt looks wrong. A weak signal
(the honeypot, a form sent too fast or with a stale or foreign stamp, over the
short burst limit) is what a real person can trip (autofill, a password manager,
a family behind one router): signing asks them for one more step
(actions.abuse.challenge) and loses no one. A strong signal (the block list,
over the hourly limit) keeps the attempt as suspect, silently, up to a cap
per client and petition (``suspect_allowed``). It costs one round trip to
Redis (the rate limits) and no query.
"""

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from django.conf import settings

from actions.abuse import blocklist, ratelimit
from actions.abuse.models import Limits, default_limits
from actions.models import Petition, Signature

Reason = Signature.SuspectReason
# What a person can trip: these ask for one more step, never hold silently.
WEAK_REASONS = frozenset({Reason.HONEYPOT, Reason.TOO_FAST, Reason.BURST_LIMIT})


@dataclass(frozen=True)
class Screening:
    client_hash: str
    # A Signature.SuspectReason, or "" when nothing looked wrong.
    reason: str

    @property
    def weak(self) -> bool:
        """Whether the attempt needs one more step (not held silently)."""
        return self.reason in WEAK_REASONS


def client_hash(address: str) -> str:
    """The keyed hash stored in place of a client address ("" for none).

    An IPv6 client is known by its /64 network (one home or phone is given a
    whole /64, and may pick any address in it); an IPv4-mapped address by its
    IPv4 address.
    """
    if not address:
        return ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        text = address
    else:
        if parsed.version == 6 and parsed.ipv4_mapped:
            parsed = parsed.ipv4_mapped
        if parsed.version == 6:
            text = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
        else:
            text = str(parsed)
    key = settings.CLIENT_HASH_KEY.encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def limits_for(petition: Petition) -> Limits:
    """The petition's own limits, or the site's (no query when the petition
    was loaded with select_related("abuse_settings"))."""
    own = getattr(petition, "abuse_settings", None)
    return own.limits() if own is not None else default_limits()


def screen(
    *,
    petition: Petition,
    client_ip: str,
    email: str,
    honeypot: str,
    fill_seconds: float | None,
    stepped: bool = False,
) -> Screening:
    """Screen one signing attempt; ``email`` is canonical, ``fill_seconds``
    None when the attempt did not come through the form.

    Every attempt from an address counts toward its rate limits, the suspect
    ones too, so a script caught once stays caught. An attempt that has passed
    the extra step (``stepped``) was counted when first sent: only the block
    list is checked again. A Redis outage lets the attempt through; raises only
    a database error, when the block list is read again.
    """
    limits = limits_for(petition)
    hashed = client_hash(client_ip)
    blocked = blocklist.current().reason(ip=client_ip, email=email)
    if stepped:
        return Screening(client_hash=hashed, reason=blocked)
    over_limit = _rate_reason(petition.pk, hashed, limits) if hashed else ""
    # Strong signals first: a blocked or hard-limited attempt is held silently.
    if blocked or over_limit == Reason.SUSTAINED_LIMIT:
        return Screening(client_hash=hashed, reason=blocked or over_limit)
    reason = _form_reason(honeypot, fill_seconds, limits) or over_limit
    return Screening(client_hash=hashed, reason=reason)


def suspect_allowed(*, petition: Petition, client_hash: str) -> bool:
    """Whether one more suspect signature of this client may be stored on this
    petition: at most settings.ABUSE_SUSPECT_CAP in ABUSE_SUSPECT_CAP_SECONDS
    (counted in Redis; allowed when Redis does not answer, or without a
    client address)."""
    if not settings.ABUSE_SUSPECT_CAP or not client_hash:
        return True
    counts = ratelimit.count_attempt(
        key=f"{petition.pk}:{client_hash}:suspects",
        windows={"suspects": settings.ABUSE_SUSPECT_CAP_SECONDS},
    )
    return counts is None or counts["suspects"] <= settings.ABUSE_SUSPECT_CAP


def _form_reason(honeypot: str, fill_seconds: float | None, limits: Limits) -> str:
    if honeypot:
        return Reason.HONEYPOT
    too_fast = fill_seconds is not None and fill_seconds < limits.min_fill_seconds
    if limits.min_fill_seconds and too_fast:
        return Reason.TOO_FAST
    return ""


def _rate_reason(petition_id: int, hashed: str, limits: Limits) -> str:
    windows = {
        "burst": (limits.burst, settings.ABUSE_BURST_SECONDS, Reason.BURST_LIMIT),
        "sustained": (
            limits.sustained,
            settings.ABUSE_SUSTAINED_SECONDS,
            Reason.SUSTAINED_LIMIT,
        ),
    }
    windows = {name: window for name, window in windows.items() if window[0]}
    if not windows:
        return ""
    counts = ratelimit.count_attempt(
        key=f"{petition_id}:{hashed}",
        windows={name: seconds for name, (_, seconds, _) in windows.items()},
    )
    for name, (limit, _, reason) in windows.items():
        if counts is not None and counts[name] > limit:
            return reason
    return ""
