"""The admin home in sections that follow the campaigners' workflow."""

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import reverse

from actions.tests.factories import make_staff
from staff.site import SECTIONS
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def _key(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _home(client) -> list[dict]:
    response = client.get(INDEX)
    assert response.status_code == 200
    return response.context["app_list"]


def _shown(sections: list[dict]) -> list[str]:
    return [_key(model["model"]) for section in sections for model in section["models"]]


def test_every_registered_model_is_on_the_superusers_home_exactly_once(
    admin_client,
):
    shown = _shown(_home(admin_client))

    assert sorted(shown) == sorted(_key(model) for model in admin.site._registry)


def test_every_registered_model_has_a_named_section():
    placed = [name for *_, names in SECTIONS for name in names]

    assert len(placed) == len(set(placed))
    assert {_key(model) for model in admin.site._registry} <= set(placed)


def test_the_home_puts_content_first_then_signers_reports_and_the_machinery(
    admin_client,
):
    sections = _home(admin_client)

    assert [section["app_label"] for section in sections] == [
        "content",
        "signers",
        "reports",
        "accounts",
        "technical",
    ]
    assert [str(section["name"]) for section in sections][:3] == [
        "Content",
        "Signers",
        "Reports",
    ]
    assert _shown(sections[:1])[:3] == [
        "statements.statement",
        "statements.topic",
        "actions.petition",
    ]
    assert "admin.logentry" in _shown(sections[2:3])
    assert "axes.accessattempt" in _shown(sections[4:])


@pytest.mark.parametrize("roles", [("Campaigners",), ("Reports",), ()])
def test_each_role_sees_on_the_home_what_django_would_show_it(client, roles):
    log_in_verified(client, make_staff("sam", roles=roles))

    response = client.get(INDEX)
    django_list = AdminSite.get_app_list(admin.site, response.wsgi_request)

    expected = [_key(m["model"]) for app in django_list for m in app["models"]]
    assert sorted(_shown(response.context["app_list"])) == sorted(expected)


def test_a_campaigner_sees_content_but_not_the_audit_log(client):
    log_in_verified(client, make_staff("carl", roles=("Campaigners",)))

    shown = _shown(_home(client))

    assert "statements.statement" in shown
    assert "admin.logentry" not in shown


def test_a_section_has_a_page_of_its_own(admin_client):
    response = admin_client.get(reverse("admin:section", args=["reports"]))

    assert response.status_code == 200
    assert _shown(response.context["app_list"]) == [
        "exports.signatureexport",
        "deliverypacks.deliverypack",
        "admin.logentry",
    ]
    assert "Reports" in response.text


def test_an_unknown_or_empty_section_is_not_found(client, admin_client):
    assert admin_client.get(reverse("admin:section", args=["nope"])).status_code == 404
    client.logout()
    log_in_verified(client, make_staff("sam"))
    assert client.get(reverse("admin:section", args=["reports"])).status_code == 404


def test_an_apps_own_page_still_lists_its_models(admin_client):
    response = admin_client.get(reverse("admin:app_list", args=["followups"]))

    assert response.status_code == 200
    assert [m["object_name"] for m in response.context["app_list"][0]["models"]] == [
        "FollowUpDelivery",
        "FollowUp",
        "Withdrawal",
    ]
