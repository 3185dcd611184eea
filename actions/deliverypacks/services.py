"""Delivery packs as a workflow: request, build, hand over, expire."""

import logging
import tempfile
from collections.abc import Collection, Iterator
from datetime import timedelta
from typing import TypeGuard

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actions.core.enqueue import enqueue
from actions.core.files import delete_files, failure_reason, save_whole
from actions.core.tokens import make_delivery_pack_token, read_delivery_pack_token
from actions.counts import country_counts_to_show
from actions.deliverypacks.document import Cover, write_pack
from actions.deliverypacks.models import DeliveryPack, pack_storage
from actions.models import Petition, Signature
from staff.audit import record_export, record_signer_view

logger = logging.getLogger(__name__)

# The same permission as a signature export: a pack with names is one.
EXPORT_PERMISSION = "actions.export_signature"
# Everyone's packs, for a role that reviews them (superusers have it).
AUDIT_PERMISSION = "deliverypacks.view_deliverypack"
BUILD_PACK = "actions.tasks.build_delivery_pack"
# Rows a round trip of the server-side cursor brings: memory stays flat.
NAMES_CHUNK = 2000
# Why a pack's file went before its time (kept on its record).
ERASED_NOTE = gettext_lazy("File deleted: a supporter it names had their data erased.")
SENSITIVE_REFUSAL = gettext_lazy(
    "This petition is sensitive: its signers' names never go into a delivery "
    "pack, whoever asks. Request the pack without names."
)

NAMES_KEPT_REFUSAL = gettext_lazy(
    "This petition told its signers that their names are not given to the "
    "target: its delivery packs carry no names. Request the pack without names."
)


class SensitiveNames(PermissionDenied):
    """Names that never leave in a pack: a sensitive petition's, or those of a
    petition whose signers were told their names stay with the organisation."""

    def __init__(self, message: str = str(SENSITIVE_REFUSAL)) -> None:
        super().__init__(message)


def names_refusal(petition: Petition) -> str | None:
    """Why this petition's names may not go into a pack; None if they may."""
    if petition.sensitive:
        return str(SENSITIVE_REFUSAL)
    if not petition.names_to_target:
        return str(NAMES_KEPT_REFUSAL)
    return None


def may_request(user: User | AnonymousUser) -> TypeGuard[User]:
    """Whether this account may ask for packs (active, with the export permission)."""
    return user.is_active and user.has_perm(EXPORT_PERMISSION)


def request_pack(
    *, user: User, petition: Petition, include_names: bool
) -> DeliveryPack:
    """Record a pack and queue its build after commit.

    Raises PermissionDenied without the export permission and SensitiveNames
    for names that may not leave (a sensitive petition's, or a petition's
    whose names do not go to the target); nothing is recorded then.
    """
    if not may_request(user):
        raise PermissionDenied
    refusal = names_refusal(petition) if include_names else None
    if refusal:
        raise SensitiveNames(refusal)
    pack = DeliveryPack.objects.create(
        petition=petition,
        user=user,
        username=user.get_username(),
        include_names=include_names,
    )
    transaction.on_commit(lambda: enqueue_pack(pack.pk), robust=True)
    return pack


def enqueue_pack(pack_id: int) -> bool:
    """Hand a queued pack to Celery; if the broker is down, mark it failed
    (the user asks again) and return False."""
    try:
        enqueue(BUILD_PACK, pack_id)
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning("Broker unavailable; delivery pack %s not queued", pack_id)
        DeliveryPack(pk=pack_id).fail(
            _("The task queue was unavailable. Please ask again.")
        )
        return False
    return True


def counts_by_country(petition: Petition) -> list[tuple[str, int]]:
    """(country code, confirmed signatures), the largest first: one GROUP BY."""
    rows = (
        Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED)
        .values_list("country")
        .annotate(n=Count("pk"))
        .order_by("-n", "country")
    )
    return [(str(code), n) for code, n in rows]


def confirmed_names(petition: Petition) -> Iterator[tuple[str, str]]:
    """(name, country code) of each confirmed signer not erased, in the order
    of confirmation, read NAMES_CHUNK rows at a time (a server-side cursor on
    PostgreSQL), so a million names never sit in memory."""
    rows = (
        Signature.objects.filter(
            petition=petition,
            state=Signature.State.CONFIRMED,
            anonymised_at__isnull=True,
        )
        .order_by("confirmed_at", "pk")
        .values_list("first_name", "last_name", "country")
    )
    for first, last, country in rows.iterator(chunk_size=NAMES_CHUNK):
        yield f"{first} {last}".strip(), str(country)


def build_pack(pack_id: int) -> DeliveryPack | None:
    """Write a queued pack's PDF to private storage and finish its record.

    Repeat-safe: a finished, failed or expired pack is left alone; a run after
    a worker died starts again. Names of a petition made sensitive since the
    request are refused (the pack fails). Raises what writing raised (a full
    disk included), the record marked failed and no part of the file left.
    """
    pack = DeliveryPack.objects.filter(pk=pack_id).first()
    if pack is None or not pack.start():
        return None
    petition = Petition.objects.get(pk=pack.petition_id)  # as it is now
    refusal = names_refusal(petition) if pack.include_names else None
    if refusal:
        pack.fail(refusal)
        return pack
    try:
        name, count = _write_file(pack, petition)
    except BaseException as exc:
        pack.fail(_("Failed: %(reason)s") % {"reason": failure_reason(exc)})
        raise
    if not finish(pack, signature_count=count, file_name=name):
        pack_storage().delete(name)  # a twin run finished first
    return pack


def _write_file(pack: DeliveryPack, petition: Petition) -> tuple[str, int]:
    # The pack leaves the organisation: small countries of a sensitive
    # petition are counted among "other countries", not named.
    by_country = country_counts_to_show(
        counts_by_country(petition), sensitive=petition.sensitive
    )
    total = sum(n for _code, n in by_country)
    cover = Cover(
        title=petition.title,
        standfirst=petition.statement.standfirst,
        demand=petition.demand,
        target=_target(petition),
        confirmed=total,
        as_of=timezone.now(),
    )
    names = confirmed_names(petition) if pack.include_names else None
    with tempfile.TemporaryFile() as file:
        write_pack(file, cover=cover, by_country=by_country, names=names)
        file.seek(0)
        name = save_whole(pack_storage(), f"deliverypacks/pack-{pack.pk}.pdf", file)
    return name, total


def _target(petition: Petition) -> str:
    target = petition.target
    if target.description:
        return f"{target.name} ({target.description})"
    return target.name


def finish(pack: DeliveryPack, *, signature_count: int, file_name: str) -> bool:
    """Mark a running pack done and write it to the audit log (and a look at
    the signers when it lists names); False, and no entry, unless running."""
    if not pack.finish(signature_count=signature_count, file_name=file_name):
        return False
    if pack.user_id is not None:
        record_export(user_id=pack.user_id, obj=pack, rows=signature_count)
        if pack.include_names:
            record_signer_view(
                user_id=pack.user_id, petition=pack.petition, via="delivery_pack"
            )
    return True


def download_name(pack: DeliveryPack) -> str:
    return f"delivery-pack-{pack.petition.slug}-{pack.pk}.pdf"


def download_token(pack: DeliveryPack, *, user: User) -> str:
    """A link token for this user and this pack, valid EXPORT_LINK_MAX_AGE."""
    return make_delivery_pack_token(pack_id=pack.pk, user_id=user.pk)


def pack_for_download(token: str, *, user: User | AnonymousUser) -> DeliveryPack:
    """The finished pack a token names, if this user may have its file.

    Raises signing.BadSignature (SignatureExpired included), PermissionDenied
    (no permission, someone else's link or pack), SensitiveNames (names of a
    petition now sensitive) or DeliveryPack.DoesNotExist (not ready or gone).
    """
    pack_id, user_id = read_delivery_pack_token(token)
    if not may_request(user) or user_id != user.pk:
        raise PermissionDenied
    pack = (
        DeliveryPack.objects.select_related("petition")
        .exclude(file="")
        .get(pk=pack_id, state=DeliveryPack.State.DONE)
    )
    if pack.user_id != user.pk and not user.has_perm(AUDIT_PERMISSION):
        raise PermissionDenied
    refusal = names_refusal(pack.petition) if pack.include_names else None
    if refusal:
        raise SensitiveNames(refusal)
    return pack


def delete_expired_files() -> int:
    """Delete pack files older than EXPORT_FILE_MAX_AGE; the records stay.

    Repeat-safe; returns how many files went.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.EXPORT_FILE_MAX_AGE)
    expired = DeliveryPack.objects.filter(
        state=DeliveryPack.State.DONE, finished_at__lt=cutoff
    ).exclude(file="")
    deleted = 0
    for pack in expired.iterator():
        assert pack.file.name  # excluded above when empty
        pack_storage().delete(pack.file.name)
        deleted += pack.expire()
    return deleted


def delete_packs_naming(petition_ids: Collection[int]) -> int:
    """Delete every finished pack file that lists the signers of these
    petitions by name, after an erasure: the record stays, marked "file
    deleted" with the reason. Packs of counts only are kept.

    A file the storage fails to delete is logged and left for the expiry job.
    Returns how many files went.
    """
    naming = DeliveryPack.objects.filter(
        state=DeliveryPack.State.DONE,
        include_names=True,
        petition_id__in=list(petition_ids),
    ).exclude(file="")
    return delete_files(
        naming.iterator(), storage=pack_storage(), note=str(ERASED_NOTE)
    )
