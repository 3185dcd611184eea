"""The demo's privacy notice and about page, in English (load_demo)."""

from statements.pages.models import Page

PRIVACY_BODY = """\
This notice says what this site keeps about you, who sees it, and for how long.

## When you sign a petition

We keep:

- your name, as the petition asks for it (one name is enough);
- your email address, to send you the link that confirms your signature;
- your country, when the petition asks for it;
- whether you asked for updates by email, with the exact words of the box you ticked;
- where you came from, when the link you followed said so (for example "newsletter");
- when you signed and when you confirmed, and which version of the text you signed;
- a keyed hash of your internet address, used only to slow down scripts. We do
  not keep the address itself, and on petitions whose signers may be at risk we
  keep no hash at all.

When you write a letter, we also keep your letter and your town if you give it.

## Who sees it

- **In public:** only the number of signatures, or of letters sent. No names are
  published. Each day we publish one fingerprint of that day's signatures, from
  which nobody can find out who signed.
- **The target:** each petition says under its form whether signers' names (and
  countries) are handed to the target. If it says they are not, the target gets
  the number only. A letter goes to its recipients with your name, your town and
  country if given, and your email address, so that they can answer you.
- **Our staff:** only a few of us can see who signed, and every export of
  signatures is recorded with who made it and when. On petitions whose signers
  may be at risk, every look at the signers is recorded too.

We do not sell or lend your data to anyone.

## Emails

We email you to confirm your signature (the link works for 14 days). We send you
updates only if you asked for them, and every update has a link that stops them
in one click.

## Cookies and other sites

The public pages set no cookies and load nothing from other sites: no trackers,
no fonts or scripts from elsewhere.

## How long we keep it

A petition may have a retention period: that many days after it closes, the
signers' names, email addresses and address hashes are removed. Petitions whose
signers may be at risk have one of 90 days unless set otherwise. The counts
stay: what remains of a signature is its state, its times, its country and where
it came from, with nothing that names you.

## Your data, your choice

Use the "Your data" link at the foot of every page: we email you a link to a
copy of everything we hold about your address, which you can download, and from
which you can erase it. Erasing removes your name and addresses at once; your
signatures still count, without you in them.

Questions: write to privacy@example.org.
"""

ABOUT_BODY = """\
We are a human-rights organisation. We publish statements on situations that \
need attention now, quote the people who live them, and name what must change.

Each demand in a statement is a call to action: a petition you can sign, or a \
letter you can write to the people who can act. We hand petitions over in \
person where we can, and this site shows when each was delivered, and whether \
and how its target answered.

This site is built to keep as little about you as it can: see our \
[privacy notice](/privacy/).
"""

PAGES = [
    (Page.Slug.PRIVACY, "Privacy notice", PRIVACY_BODY),
    (Page.Slug.ABOUT, "About us", ABOUT_BODY),
]


def write_demo_pages() -> None:
    """Write the English privacy notice and about page (repeat-safe:
    translations written since are kept)."""
    for slug, title, body in PAGES:
        Page.objects.update_or_create(
            slug=slug, defaults={"title_en": title, "body_en": body}
        )
