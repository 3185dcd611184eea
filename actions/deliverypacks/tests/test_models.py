import pytest

from actions.deliverypacks.models import DeliveryPack
from actions.tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(petition):
    user = make_staff("rita")
    return DeliveryPack.objects.create(petition=petition, user=user, username="rita")


def test_a_pack_runs_then_finishes_with_its_count_and_file(pack):
    assert pack.start()
    assert pack.finish(signature_count=3, file_name="deliverypacks/p.pdf")

    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.DONE
    assert pack.signature_count == 3
    assert pack.file.name == "deliverypacks/p.pdf"
    assert pack.started_at <= pack.finished_at


def test_a_finished_pack_does_not_start_again_or_fail(pack):
    pack.start()
    pack.finish(signature_count=0, file_name="x.pdf")

    assert not pack.start()
    assert not pack.fail("late")
    assert DeliveryPack.objects.get().state == DeliveryPack.State.DONE


def test_a_queued_pack_cannot_finish_without_running(pack):
    assert not pack.finish(signature_count=1, file_name="x.pdf")
    assert DeliveryPack.objects.get().state == DeliveryPack.State.QUEUED


def test_a_failed_pack_keeps_its_reason_and_time(pack):
    assert pack.fail("broken")

    pack.refresh_from_db()
    assert (pack.state, pack.error) == (DeliveryPack.State.FAILED, "broken")
    assert pack.failed_at is not None


def test_only_a_done_pack_expires(pack):
    assert not pack.expire()
    pack.start()
    pack.finish(signature_count=0, file_name="x.pdf")

    assert pack.expire()
    pack.refresh_from_db()
    assert pack.state == DeliveryPack.State.EXPIRED
    assert pack.expired_at is not None
