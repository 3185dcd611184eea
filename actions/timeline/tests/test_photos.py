"""A delivery's photo: refused without its text alternative; served through
a view only once the delivery is published."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from actions.models import Petition
from actions.tests.factories import make_petition
from actions.timeline.models import Delivery
from actions.timeline.tests.factories import make_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png() -> SimpleUploadedFile:
    image = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(image, "PNG")
    return SimpleUploadedFile("door.png", image.getvalue(), "image/png")


def _post(admin_client, petition: Petition, **fields: object):
    data = {"petition": petition.pk, "to_whom": "The Minister", "how": "by hand"}
    data |= {"delivered_at_0": "2026-12-01", "delivered_at_1": "10:00:00"}
    return admin_client.post(reverse("admin:timeline_delivery_add"), data | fields)


def test_a_photo_without_its_text_alternative_is_refused(admin_client):
    petition = make_petition(state=Petition.State.CLOSED)

    response = _post(admin_client, petition, photo=_png())

    assert "Describe the photo for people who cannot see it." in response.text
    assert not Delivery.objects.exists()
    petition.refresh_from_db()
    assert petition.state == Petition.State.CLOSED


def test_a_photo_with_its_text_alternative_is_kept(admin_client, tmp_path):
    petition = make_petition(state=Petition.State.CLOSED)

    _post(admin_client, petition, photo=_png(), photo_alt="Boxes at the door")

    delivery = Delivery.objects.get()
    assert delivery.photo.name.startswith("timeline/")
    assert (tmp_path / delivery.photo.name).exists()


def test_a_published_photo_is_shown_with_its_alt_and_served(client):
    petition = make_petition(state=Petition.State.DELIVERED)
    make_delivery(petition, photo=_png(), photo_alt="Boxes at the door")
    url = reverse("actions:delivery_photo", args=[petition.slug])

    page = client.get(petition.statement.get_absolute_url())
    photo = client.get(url)

    assert f'src="{url}" alt="Boxes at the door"' in page.text
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/png"
    assert not photo.cookies


def test_an_unpublished_photo_is_not_served(client):
    petition = make_petition(state=Petition.State.DELIVERED)
    make_delivery(petition, photo=_png(), photo_alt="Boxes", published_at=None)

    photo = client.get(reverse("actions:delivery_photo", args=[petition.slug]))

    assert photo.status_code == 404
