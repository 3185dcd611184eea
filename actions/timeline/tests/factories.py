import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from actions.models import Petition
from actions.timeline.models import Delivery, Outcome, Response


def make_delivery(petition: Petition, **fields: object) -> Delivery:
    now = timezone.now()
    defaults = {
        "delivered_at": now - timedelta(days=3),
        "to_whom": "the Minister's office",
        "how": "by hand",
        "published_at": now,
    }
    return Delivery.objects.create(petition=petition, **defaults | fields)


def make_response(petition: Petition, **fields: object) -> Response:
    now = timezone.now()
    defaults = {
        "received_at": now - timedelta(days=1),
        "summary": "We will consider it.",
        "full_text": "We have received your petition and will consider it.",
        "published_at": now,
    }
    return Response.objects.create(petition=petition, **defaults | fields)


def make_outcome(petition: Petition, **fields: object) -> Outcome:
    defaults = {"result": Outcome.Result.LOST, "published_at": timezone.now()}
    return Outcome.objects.create(petition=petition, **defaults | fields)


def png(name: str = "photo.png") -> SimpleUploadedFile:
    """A tiny PNG, as a browser uploads it."""
    image = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(image, "PNG")
    return SimpleUploadedFile(name, image.getvalue(), "image/png")
