"""The canonical form of an email address: the one that identifies a mailbox."""

# Providers that ignore dots in the local part and deliver "+tag" to the same box.
DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}
PLUS_TAG_DOMAINS = DOTLESS_DOMAINS | {
    "outlook.com",
    "hotmail.com",
    "live.com",
    "protonmail.com",
    "proton.me",
    "fastmail.com",
    "icloud.com",
}


def canonical_email(email: str) -> str:
    """The form of an address that identifies one mailbox.

    Case is folded everywhere; dots and "+tags" are folded where the provider
    ignores them, so one person cannot sign twice by decorating an address.
    """
    local, _, domain = email.strip().casefold().rpartition("@")
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"
