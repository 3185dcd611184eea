"""Web origins (scheme, host and port) as campaigners list them for the sites
that may embed a call to action, and as browsers send them."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str:
    """``https://partner.example`` from an origin or a URL of one page, in
    lower case, without its default port. Raises ValueError if it has no
    http(s) scheme or host, carries a user name, or is a bare path."""
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower case already, without brackets or user
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc:
        raise ValueError(value)
    port = parts.port  # raises ValueError on a port out of range
    if ":" in host:  # an IPv6 address keeps its brackets in an origin
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def parse_origins(text: str) -> list[str]:
    """The origins of a one-per-line list, normalised; lines that are not an
    origin are left out (the model's validator refuses them on saving)."""
    origins = []
    for line in text.splitlines():
        try:
            origins.append(normalise_origin(line))
        except ValueError:
            continue
    return list(dict.fromkeys(origins))


def validate_origins(text: str) -> None:
    """A list of origins, one per line: each ``scheme://host[:port]`` and
    nothing more (no path, query, wildcard or user name)."""
    for line in filter(None, (line.strip() for line in text.splitlines())):
        parts = urlsplit(line)
        try:
            normalise_origin(line)
        except ValueError:
            valid = False
        else:
            valid = parts.path in {"", "/"} and not parts.query and not parts.fragment
        if not valid or "*" in line:
            raise ValidationError(
                _(
                    "“%(line)s” is not a site's address: write one per line, "
                    "like https://partner.example, without a path."
                ),
                code="invalid_origin",
                params={"line": line},
            )
