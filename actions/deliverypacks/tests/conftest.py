import io

import pytest
from pypdf import PdfReader

from actions.tests.factories import make_staff


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Pack files go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def reports_user(db):
    return make_staff("rita", roles=("Reports",))


@pytest.fixture
def campaigner(db):
    return make_staff("carl", roles=("Campaigners",))


@pytest.fixture
def superuser(db):
    return make_staff("root", superuser=True)


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, page after page, as a reader extracts it."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)
