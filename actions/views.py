from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_page, never_cache
from django.views.decorators.http import require_http_methods, require_safe

from actions import services
from actions.abuse import challenge, stamp
from actions.consent import services as consent
from actions.core.decorators import same_origin_post
from actions.core.forms import arrival_source
from actions.core.tokens import make_thanks_token
from actions.counts import confirmed_counts
from actions.forms import ResendForm, SignatureForm, signature_form
from actions.letters import services as letters
from actions.letters.forms import letter_form
from actions.letters.models import LetterSettings
from actions.models import Petition, Signature
from actions.receipts import services as receipts
from actions.revisions.services import latest_changes
from actions.timeline import services as timeline
from campaign.clientip import client_ip
from statements.sharing import services as sharing


def petition_cards(petitions: list[Petition], *, source: str) -> list[dict]:
    """What a page shows for each petition (or letter action): its count,
    progress, form and the last change to its text."""
    counts = confirmed_counts(p.pk for p in petitions)
    changes = latest_changes(petitions)
    timelines = timeline.timelines(petitions)
    letter_settings, letter_counts = _letters_of(petitions)
    return [
        {
            "petition": petition,
            "count": counts[petition.pk],
            "percent": min(100, counts[petition.pk] * 100 // petition.goal),
            "change": changes.get(petition.pk),
            "timeline": timelines[petition.pk],
            "letters": letter_counts.get(petition.pk),
            "form": signing_form(
                petition,
                letter_settings.get(petition.pk),
                initial=_form_initial(petition, source),
                auto_id=f"id_{petition.slug}_%s",
            ),
        }
        for petition in petitions
    ]


def _letters_of(
    petitions: list[Petition],
) -> tuple[dict[int, LetterSettings], dict[int, letters.LetterCount]]:
    """The letter actions' settings and counts (no query without any)."""
    ids = [p.pk for p in petitions if p.is_letter]
    if not ids:
        return {}, {}
    return letters.settings_of(ids), letters.letter_counts(ids)


def signing_form(
    petition: Petition,
    letter_settings: LetterSettings | None,
    *args: Any,
    **kwargs: Any,
) -> SignatureForm | None:
    """The form a petition or letter action asks for; None for a letter action
    not set up yet (no letter)."""
    if not petition.is_letter:
        return signature_form(petition, *args, **kwargs)
    if letter_settings is None:
        return None
    return letter_form(petition, letter_settings, *args, **kwargs)


def _form_initial(petition: Petition, source: str) -> dict[str, object]:
    """A signing form's initial data: its time stamp bound to its petition."""
    return {
        "source": source,
        "petition_id": petition.pk,
        "started": stamp.placeholder(petition.pk),
    }


def _public_petition(slug: str) -> Petition:
    """The petition at this slug, if its statement is public.

    Kept a few seconds in each process: every signature and every page after it
    looks it up. Signing checks again in the database that it is open.
    """
    # The target is left to load lazily: the signing POST never shows it.
    petition = caches["rows"].get_or_set(
        f"petition:{slug}",
        lambda: get_object_or_404(
            Petition.objects.select_related("statement", "abuse_settings"), slug=slug
        ),
    )
    assert petition is not None  # get_object_or_404 returns a row or raises
    # Checked on each request: a scheduled statement goes public on the second.
    if not petition.statement.is_visible:
        raise Http404
    return petition


def _updates_label() -> str:
    """The updates box's wording as the form shows it: what consent keeps."""
    return str(SignatureForm.base_fields["wants_updates"].label)


@same_origin_post
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _public_petition(slug)
    source = arrival_source(request.GET)
    settings_ = letters.settings_of([petition.pk]) if petition.is_letter else {}
    form = signing_form(
        petition,
        settings_.get(petition.pk),
        request.POST or None,
        initial=_form_initial(petition, source),
    )
    refused = request.method == "POST" and (not petition.is_open or form is None)
    if not refused and form is not None and form.is_valid():
        try:
            sign_as_supporter(request, petition, form.cleaned_data)
            return redirect("actions:check_email", slug=slug)
        except services.OneMoreStep:
            carried = challenge.carry(form.cleaned_data)
            return _one_more_step(request, petition, carried=carried)
        except services.PetitionClosed:
            refused = True  # it closed a moment ago
    card = petition_cards([petition], source=source)[0] | {"form": form}
    context = {"petition": petition, "card": card, "refused": refused}
    return render(request, "actions/sign.html", context, status=409 if refused else 200)


def sign_as_supporter(
    request: HttpRequest,
    petition: Petition,
    fields: dict[str, Any],
    *,
    stepped: bool = False,
) -> None:
    """Sign with a form's data as the supporter on this page: in its language,
    from their address, agreeing to the updates wording the form showed.
    Raises what services.sign_petition raises. Also the embed's (actions.embed)."""
    services.sign_petition(
        petition=petition,
        consent_wording=consent.updates_wording(_updates_label()),
        client_ip=client_ip(request),
        stepped=stepped,
        language=request.LANGUAGE_CODE,
        **fields,
    )


def step_context(
    petition: Petition, *, carried: str, token: str = "", problem: str = ""
) -> dict[str, Any]:
    """What the one-more-step page shows (here and in the embed's frame)."""
    token = token or challenge.issue(petition_id=petition.pk, carried=carried)
    return {
        "petition": petition,
        "carried": carried,
        "challenge": token,
        "difficulty": challenge.difficulty(token),
        "wait_seconds": settings.ABUSE_STEP_WAIT_SECONDS,
        "problem": problem,
    }


def sign_after_step(
    request: HttpRequest,
    petition: Petition,
    *,
    start_again: str,
    one_more_step: Callable[..., HttpResponse],
) -> HttpResponse | None:
    """The one more step's POST: sign with the data it carried once its proof
    passes. A response when there is something else to show (start again, or
    the step again); None to go on to "check your email", also after a replay
    or a wrong answer, which sign nothing."""
    carried = request.POST.get("data", "")
    try:
        fields = challenge.read_carried(carried)
    except signing.BadSignature:
        return redirect(start_again, slug=petition.slug)  # tampered or old
    token = request.POST.get("challenge", "")
    outcome = challenge.check(
        challenge=token,
        petition_id=petition.pk,
        carried=carried,
        nonce=request.POST.get("nonce", ""),
    )
    if outcome in {challenge.Outcome.TOO_EARLY, challenge.Outcome.EXPIRED}:
        keep = token if outcome == challenge.Outcome.TOO_EARLY else ""
        return one_more_step(
            request, petition, carried=carried, token=keep, problem=outcome.value
        )
    if outcome == challenge.Outcome.PASSED:
        try:
            sign_as_supporter(request, petition, fields, stepped=True)
        except services.PetitionClosed:
            return redirect(start_again, slug=petition.slug)
    return None


def _one_more_step(
    request: HttpRequest,
    petition: Petition,
    *,
    carried: str,
    token: str = "",
    problem: str = "",
) -> HttpResponse:
    """The page that asks a weak-signal attempt for one more step."""
    context = step_context(petition, carried=carried, token=token, problem=problem)
    return render(request, "actions/one_more_step.html", context)


@same_origin_post
@require_http_methods(["POST"])
def step(request: HttpRequest, slug: str) -> HttpResponse:
    """The one more step passed: sign with the data it carried."""
    petition = _public_petition(slug)
    response = sign_after_step(
        request, petition, start_again="actions:sign", one_more_step=_one_more_step
    )
    return response or redirect("actions:check_email", slug=slug)


@require_safe
def check_email(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _public_petition(slug)
    return render(request, "actions/check_email.html", {"petition": petition})


@same_origin_post
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button and changes nothing (mail scanners open links)."""
    petition = _public_petition(slug)
    try:
        signature = services.signature_from_token(token)
    except (signing.BadSignature, Signature.DoesNotExist) as exc:
        expired = isinstance(exc, signing.SignatureExpired)
        return _invalid_link(request, petition, expired=expired)
    if signature.petition_id != petition.pk:
        return _invalid_link(request, petition, expired=False)
    if request.method == "POST":
        services.confirm_signature(signature=signature)
        token = make_thanks_token(signature.pk)
        return redirect("actions:thanks", slug=slug, token=token)
    return render(request, "actions/confirm.html", {"petition": petition})


def _invalid_link(
    request: HttpRequest, petition: Petition, *, expired: bool
) -> HttpResponse:
    context = {"petition": petition, "expired": expired, "form": ResendForm()}
    return render(request, "actions/confirm_invalid.html", context, status=400)


@same_origin_post
@require_http_methods(["POST"])
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _public_petition(slug)
    form = ResendForm(request.POST)
    if form.is_valid():
        services.resend_confirmation(
            petition=petition,
            email=form.cleaned_data["email"],
            client_ip=client_ip(request),
        )
        return redirect("actions:check_email", slug=slug)
    context = {"petition": petition, "expired": False, "form": form}
    return render(request, "actions/confirm_invalid.html", context, status=400)


@never_cache
@require_safe
def thanks(request: HttpRequest, slug: str, token: str = "") -> HttpResponse:
    """What to do next. It says "you among them" only through the link the
    confirmation leads to; without a valid one it is the same page for anyone."""
    petition = _public_petition(slug)
    is_signer = services.is_confirmed_signer(petition=petition, token=token)
    context = {
        "petition": petition,
        "card": petition_cards([petition], source="")[0],
        "is_signer": is_signer,
        "receipt": receipts.thanks_receipt(thanks_token=token) if is_signer else None,
        "next_steps": services.next_steps(petition=petition),
        "share": sharing.share(
            url=settings.SITE_URL + petition.statement.get_absolute_url(),
            text=petition.title,
        ),
    }
    return render(request, "actions/thanks.html", context)


@cache_page(settings.COUNT_CACHE_SECONDS, cache="pages")
@require_safe
def petition_count(request: HttpRequest, slug: str) -> JsonResponse:
    """The confirmed count as JSON; a CDN may serve it for a few seconds."""
    petition = _public_petition(slug)
    count = confirmed_counts([petition.pk])[petition.pk]
    # Every kind of action answers alike ("petition" names the action's slug
    # whatever its kind); a letter action adds its letters.
    body: dict[str, object] = {
        "petition": petition.slug,
        "kind": petition.kind,
        "count": count,
        "goal": petition.goal,
        "state": petition.state,
        "is_open": petition.is_open,
    }
    if petition.is_letter:
        # "count" is its confirmed writers; these, the letters they sent.
        counted = letters.letter_counts([petition.pk])[petition.pk]
        body |= {"letters": counted.letters, "recipients": counted.recipients}
    response = JsonResponse(body)
    patch_cache_control(
        response,
        public=True,
        max_age=settings.COUNT_CACHE_SECONDS,
        stale_while_revalidate=30,
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
