"""Every signed link of the site attacked: confirmation, unsubscribe (and its
preferences page) and the export download. A tampered, truncated, extended,
expired, spliced or wrong-purpose token, or any text at all, is refused with
a page that says so, never a crash, and changes no row, by GET or by POST."""

import time
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.core.tokens import (
    CONFIRM_SALT,
    DOWNLOAD_SALT,
    UNSUBSCRIBE_SALT,
    make_confirmation_token,
    make_unsubscribe_token,
)
from actions.exports import services as exports
from actions.exports.tasks import build_signature_export
from actions.tests.factories import make_petition, make_signature, make_staff
from campaign.tests.snapshot import changed_tables, database_snapshot
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:"
CONFIRM_REFUSED = "This link does not work"
CONFIRM_EXPIRED = "This link has expired"
UNSUBSCRIBE_REFUSED = "This link does not work"
DOWNLOAD_REFUSED = "Download not available"


class _SignerOfLongAgo(signing.TimestampSigner):
    """Signs with a time this many seconds ago: a link that has expired."""

    def __init__(self, *, age: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.age = age

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - self.age)


def _expired(salt: str, value: object, *, age: int) -> str:
    signer = _SignerOfLongAgo(age=age, salt=salt)
    if isinstance(value, str):
        return signer.sign(value)
    return signer.sign_object(value, compress=False)


def _tampered(token: str) -> list[str]:
    """The token with each character changed, cut at each third, and extended."""
    changed = [
        token[:i] + ("A" if ch != "A" else "B") + token[i + 1 :]
        for i, ch in enumerate(token)
    ]
    cut = [token[: len(token) * n // 3] for n in (1, 2)] + [token[:-1]]
    return [*changed, *cut, token + "A", token + ":" + token]


@pytest.fixture
def links(settings, tmp_path, petition):
    """A valid token of each kind, the user the export's is for, and others."""
    settings.MEDIA_ROOT = tmp_path
    signature = make_signature(petition)
    other = make_signature(make_petition())
    exporter = make_staff("rita", roles=("Reports",))
    export = exports.start_export(
        user=exporter, filters={}, format="csv", via="background"
    )
    build_signature_export(export.pk)
    return {
        "signature": signature,
        "other": other,
        "exporter": exporter,
        "confirm": make_confirmation_token(signature.pk),
        "unsubscribe": make_unsubscribe_token(signature.pk),
        "download": exports.download_token(export, user=exporter),
        "export": export,
    }


def _bad_tokens(links: dict, kind: str) -> list[str]:
    """Tokens of every other sort than a valid one of this kind."""
    signature, other, export = links["signature"], links["other"], links["export"]
    user = links["exporter"]
    valid = links[kind]
    others = [links[k] for k in ("confirm", "unsubscribe", "download") if k != kind]
    payload, _, signature_part = valid.rpartition(":")
    foreign = {
        "confirm": make_confirmation_token(other.pk),
        "unsubscribe": make_unsubscribe_token(other.pk),
        "download": exports.download_token(export, user=make_staff("otto")),
    }[kind]
    spliced = payload + ":" + foreign.rpartition(":")[2]
    # Signed values of other sorts and junk. (Tokens forged with the secret
    # key itself, e.g. a payload that is not an id, are out of scope: whoever
    # holds the key can sign anything.)
    junk = [
        signing.dumps(signature.pk),
        signing.dumps({"export": export.pk, "user": user.pk}),
        "preview",
        "-",
        "x" * 3000,
    ]
    # An unsubscribe link names its signature, whoever opens it: another
    # signature's link is a valid one.
    foreign = [] if kind == "unsubscribe" else [foreign]
    return [*_tampered(valid), *others, *foreign, spliced, *junk]


def _snapshot_for(client: Client, url: str, **posted: str) -> list:
    before = database_snapshot()
    responses = [client.get(url), client.post(url, posted)]
    return [responses, changed_tables(before, database_snapshot())]


def _assert_refused(responses, statuses: set[int], message: str, url: str) -> None:
    for response in responses:
        assert response.status_code in statuses, url
        assert message in response.content.decode(), url


def test_bad_confirmation_links_are_refused_and_change_nothing(client, links):
    slug = links["signature"].petition.slug
    tokens = _bad_tokens(links, "confirm")
    # For another petition's signature, and as it was signed 15 days ago.
    # The foreign token is another petition's signature: refused here too.
    expired = _expired(CONFIRM_SALT, links["signature"].pk, age=15 * 24 * 3600)

    for token in tokens + [expired]:
        url = reverse("actions:confirm", args=[slug, token])
        responses, changed = _snapshot_for(client, url)
        message = CONFIRM_EXPIRED if token == expired else CONFIRM_REFUSED
        _assert_refused(responses, {400}, message, url)
        assert changed == {}, url
    print(f"{len(tokens) + 1} confirmation tokens refused")


def test_bad_unsubscribe_links_are_refused_and_change_nothing(client, links):
    tokens = _bad_tokens(links, "unsubscribe")
    tokens.append(
        _expired(UNSUBSCRIBE_SALT, str(links["signature"].pk), age=3 * 365 * 24 * 3600)
    )
    tokens.append(signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign("1e3"))

    for token in tokens:
        for name in ["actions:unsubscribe", "actions:email_preferences"]:
            url = reverse(name, args=[token])
            responses, changed = _snapshot_for(
                client, url, **{"List-Unsubscribe": "One-Click", "everything": "1"}
            )
            _assert_refused(responses, {400}, UNSUBSCRIBE_REFUSED, url)
            assert changed == {}, url
    print(f"{len(tokens)} unsubscribe tokens refused on two pages")


def test_bad_download_links_are_refused_with_a_page_that_says_why(client, links):
    log_in_verified(client, links["exporter"])
    tokens = _bad_tokens(links, "download")
    export = links["export"]
    # A colleague's own export, with a link made out to them.
    colleague = make_staff("rosa", roles=("Reports",))
    theirs = exports.start_export(
        user=colleague, filters={}, format="csv", via="background"
    )
    build_signature_export(theirs.pk)
    tokens.append(exports.download_token(theirs, user=colleague))
    tokens.append(exports.download_token(theirs, user=links["exporter"]))
    expired = _expired(
        DOWNLOAD_SALT,
        {"export": export.pk, "user": links["exporter"].pk},
        age=2 * 3600,
    )

    for token in tokens + [expired]:
        url = reverse("admin:exports_signatureexport_download", args=[token])
        before = database_snapshot()
        response = client.get(url)
        assert changed_tables(before, database_snapshot()) == {}, url
        assert response.status_code in {400, 403, 410}, url
        assert DOWNLOAD_REFUSED in response.content.decode(), url
    print(f"{len(tokens) + 1} download tokens refused")


examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@examples
@given(token=st.text(min_size=1, max_size=200))
def test_any_text_as_a_token_is_refused_without_a_crash(links, token):
    slug = links["signature"].petition.slug
    quoted = quote(token, safe="")
    urls = [
        f"/petitions/{slug}/confirm/{quoted}/",
        f"/unsubscribe/{quoted}/",
        f"/unsubscribe/{quoted}/preferences/",
    ]
    before = database_snapshot()

    for url in urls:
        for response in (Client().get(url), Client().post(url, {"everything": "1"})):
            # 404: the text held a slash, so no pattern matched.
            assert response.status_code in {400, 404}, url

    assert changed_tables(before, database_snapshot()) == {}
