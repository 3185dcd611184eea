"""The signing form in a frame on partners' sites: the statement page's form,
its service and every abuse control, on a page of its own that partners'
sites may frame. It sets no cookie and takes posts from itself only: the
frame's page is this site's, so its form posts are same-origin."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_safe

from actions import services as signing_service
from actions.abuse import challenge
from actions.core.decorators import same_origin_post
from actions.embed import services
from actions.letters import services as letters
from actions.models import Petition
from actions.views import (
    _form_initial,
    _public_petition,
    petition_cards,
    sign_after_step,
    sign_as_supporter,
    signing_form,
    step_context,
)


def _framed(
    request: HttpRequest,
    petition: Petition,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """A page partners' allowed sites may frame, and no other site."""
    response = render(
        request, template, {"petition": petition} | context, status=status
    )
    # Django's per-response override (what csp_override sets), per petition.
    response._csp_config = services.content_security_policy(petition)  # type: ignore[attr-defined]
    return response


@never_cache
@xframe_options_exempt
@same_origin_post
@require_http_methods(["GET", "POST"])
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _public_petition(slug)
    if request.method == "POST":
        source = services.read_source(request.POST.get("partner"))
    else:
        source = services.partner_source(
            petition, referer=request.headers.get("Referer")
        )
    settings_ = letters.settings_of([petition.pk]) if petition.is_letter else {}
    form = signing_form(
        petition,
        settings_.get(petition.pk),
        request.POST or None,
        initial=_form_initial(petition, ""),
    )
    refused = request.method == "POST" and (not petition.is_open or form is None)
    if not refused and form is not None and form.is_valid():
        fields = form.cleaned_data | {"source": source}
        try:
            sign_as_supporter(request, petition, fields)
            return redirect("actions:embed_check_email", slug=slug)
        except signing_service.OneMoreStep:
            return _one_more_step(request, petition, carried=challenge.carry(fields))
        except signing_service.PetitionClosed:
            refused = True  # it closed a moment ago
    card = petition_cards([petition], source="")[0] | {"form": form}
    context = {
        "card": card,
        "refused": refused,
        "partner": services.sign_source(source),
    }
    return _framed(
        request, petition, "embed/embed.html", context, 409 if refused else 200
    )


def _one_more_step(
    request: HttpRequest,
    petition: Petition,
    *,
    carried: str,
    token: str = "",
    problem: str = "",
) -> HttpResponse:
    """The one more step of actions.views, inside the frame."""
    context = step_context(petition, carried=carried, token=token, problem=problem)
    return _framed(request, petition, "embed/one_more_step.html", context)


@never_cache
@xframe_options_exempt
@same_origin_post
@require_http_methods(["POST"])
def embed_step(request: HttpRequest, slug: str) -> HttpResponse:
    """The one more step passed: sign with the data it carried (its source
    included, signed with the rest)."""
    petition = _public_petition(slug)
    response = sign_after_step(
        request, petition, start_again="actions:embed", one_more_step=_one_more_step
    )
    return response or redirect("actions:embed_check_email", slug=slug)


@xframe_options_exempt
@require_safe
def embed_check_email(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _public_petition(slug)
    return _framed(request, petition, "embed/check_email.html", {})
