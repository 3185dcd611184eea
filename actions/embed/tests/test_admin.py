import html

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from actions.forms import PetitionAdminForm
from actions.letters.tests.factories import make_letter_action

pytestmark = pytest.mark.django_db


def test_the_petition_page_shows_the_code_to_copy(admin_client, petition, settings):
    settings.SITE_URL = "https://campaign.example"

    response = admin_client.get(
        reverse("admin:actions_petition_change", args=[petition.pk])
    )

    content = html.unescape(response.content.decode())
    assert (
        f'<iframe src="https://campaign.example/petitions/{petition.slug}/embed/"'
        in (content)
    )
    assert '<script src="https://campaign.example/static/js/embed.js" async>' in content
    assert "/fr/petitions/" in content
    assert 'name="embed_origins"' in response.content.decode()
    assert 'name="embed_anywhere"' in response.content.decode()


def test_the_admin_form_refuses_a_line_that_is_not_a_site(petition):
    data = model_to_dict(petition, fields=PetitionAdminForm._meta.fields)
    data |= {"embed_origins": "https://partner.example\npartner.example/page"}

    form = PetitionAdminForm(data, instance=petition)

    assert not form.is_valid()
    assert "partner.example/page" in str(form.errors["embed_origins"])


def test_a_letter_action_page_shows_the_code_and_the_sites(admin_client, statement):
    action = make_letter_action(statement)

    response = admin_client.get(
        reverse("admin:letters_letteraction_change", args=[action.pk])
    )

    assert f"/petitions/{action.slug}/embed/" in response.content.decode()
    assert 'name="embed_origins"' in response.content.decode()
