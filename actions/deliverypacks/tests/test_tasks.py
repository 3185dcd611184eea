import pytest
from django.contrib.admin.models import LogEntry

from actions.deliverypacks import services
from actions.deliverypacks.models import DeliveryPack
from actions.deliverypacks.tasks import build_delivery_pack
from actions.models import Signature
from actions.tests.factories import make_signature
from staff.audit import EXPORTED, logged

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(petition, reports_user):
    make_signature(petition, state=Signature.State.CONFIRMED)
    return DeliveryPack.objects.create(
        petition=petition, user=reports_user, username="rita", include_names=True
    )


def test_the_task_builds_a_queued_pack(pack):
    build_delivery_pack(pack.pk)

    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.DONE
    assert pack.file.read().startswith(b"%PDF-")


def test_running_the_task_twice_builds_and_audits_once(pack, media_root):
    build_delivery_pack(pack.pk)
    build_delivery_pack(pack.pk)

    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.DONE
    assert len(list((media_root / "deliverypacks").iterdir())) == 1
    exported = [e for e in LogEntry.objects.all() if logged(e, EXPORTED)]
    assert len(exported) == 1


def test_a_run_after_a_dead_worker_builds_the_pack(pack):
    pack.start()  # the worker died while running

    build_delivery_pack(pack.pk)

    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.DONE


def test_the_task_for_a_missing_pack_does_nothing():
    build_delivery_pack(999_999)

    assert not DeliveryPack.objects.exists()


def test_a_failure_while_writing_marks_the_pack_failed(pack, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_pack", broken)

    with pytest.raises(OSError):
        build_delivery_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.FAILED
    assert "disk full" in pack.error
