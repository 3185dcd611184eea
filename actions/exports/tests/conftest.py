import pytest

from actions.models import Signature
from actions.tests.factories import make_signature, make_staff


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Export files go to a directory of the test's own."""
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


@pytest.fixture
def tricky_signatures(petition):
    """Signatures whose cells a careless export would get wrong."""
    return [
        make_signature(petition, first_name='=HYPERLINK("http://x")'),
        make_signature(petition, last_name="+1", source="-5"),
        make_signature(petition, first_name="@SUM(A1)", wants_updates=True),
        make_signature(petition, first_name="\tTab", last_name="\rReturn"),
        make_signature(petition, first_name='Quote "me", please'),
        make_signature(petition, first_name="Line\nbreak", last_name="a=b"),
        make_signature(
            petition,
            first_name="សុខ",
            last_name="အောင်",
            state=Signature.State.CONFIRMED,
            consent_version="=v1",
        ),
    ]
