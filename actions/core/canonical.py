"""The canonical form of an email address: the one that identifies a mailbox."""

import unicodedata

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


def ascii_domain(domain: str) -> str:
    """The domain as DNS knows it: in lower case, and in its ASCII form.

    NFKC first folds the compatibility forms ("ｇmail．com", full-width, and
    mathematical letters) into the letters they stand for; IDNA then gives a
    domain outside ASCII its "xn--" form. The codec is Python's (IDNA 2003),
    the one Django's mail uses to deliver, so the mailbox named here is the
    one mail reaches (it maps ß to ss, as case folding did before).

    Raises ValueError (a UnicodeError) when the domain has no such form: an
    empty or over-long label, or a character IDNA forbids.
    """
    normal = unicodedata.normalize("NFKC", domain)
    return normal.encode("idna").decode("ascii").lower()


def canonical_email(email: str) -> str:
    """The form of an address that identifies one mailbox.

    The domain is the one DNS knows (ascii_domain); case is folded in an
    ASCII local part, and dots and "+tags" are folded where the provider
    ignores them, so one person cannot sign twice by decorating an address.
    A local part outside ASCII is kept as it is: case folding would turn
    "ſam" (long s) into "sam", somebody else's address. The forms refuse such
    local parts (actions.core.forms.MailboxField); this keeps them apart
    wherever else an address is looked up.
    """
    local, _, domain = email.strip().rpartition("@")
    try:
        domain = ascii_domain(domain)
    except ValueError:  # not an address mail can reach; never raise here
        domain = unicodedata.normalize("NFKC", domain).casefold()
    if local.isascii():
        local = local.lower()
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"
