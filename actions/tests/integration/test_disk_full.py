"""A full disk: an export or a delivery pack that cannot be written fails
cleanly (its record says why, no part of its file stays) and the process
that built it goes on with the next job.

The disk is really full: the worker runs in a mount namespace of its own
(``unshare``) where MEDIA_ROOT is an 8 KiB tmpfs, so writes fail with ENOSPC
from the kernel. The test's own processes and the shared stack are untouched.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from actions.deliverypacks.models import DeliveryPack
from actions.exports.models import SignatureExport
from actions.tests.factories import make_petition, make_signature

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# More CSV than the disk holds (about 60 bytes a row), and a pack far bigger.
SIGNERS = 300
# What a worker does: build each job in turn, as its tasks would, then list
# what the disk holds. Delivery packs' temporary file goes on the full disk
# too, so both places a job writes to are tried.
WORKER = """
import json, os, sys, tempfile
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "campaign.settings"
django.setup()
from actions.deliverypacks.services import build_pack
from actions.exports.services import build_file
media, big, pack, small = sys.argv[1], *map(int, sys.argv[2:])
raised = []
for build, job_id, temporary in [
    (build_file, big, None), (build_pack, pack, media), (build_file, small, None)
]:
    tempfile.tempdir = temporary
    try:
        build(job_id)
    except OSError as exc:
        raised.append(exc.errno)
files = [os.path.relpath(os.path.join(d, f), media)
         for d, _, names in os.walk(media) for f in names]
print(json.dumps({"raised": raised, "files": sorted(files)}))
"""
MOUNT = 'mount -t tmpfs -o size=8k tmpfs "$MEDIA_ROOT" && exec "$0" -c "$@"'


def _export(petition) -> SignatureExport:
    return SignatureExport.objects.create(
        username="ada",
        filters={"petition": petition.pk},
        format=SignatureExport.Format.CSV,
        via=SignatureExport.Via.BACKGROUND,
    )


def test_exports_and_packs_on_a_full_disk_fail_cleanly_and_the_worker_goes_on(
    real_services, make_stack, tmp_path
):
    crowded, small = make_petition(), make_petition()
    for _ in range(SIGNERS):
        make_signature(crowded, state="confirmed")
    make_signature(small, state="confirmed")
    big_export, small_export = _export(crowded), _export(small)
    pack = DeliveryPack.objects.create(
        petition=crowded, username="ada", include_names=True
    )
    media = tmp_path / "media"
    media.mkdir()
    site = make_stack(redis_url=real_services, env={"MEDIA_ROOT": str(media)})

    worker = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", MOUNT]
        + [sys.executable, WORKER, str(media)]
        + [str(job.pk) for job in (big_export, pack, small_export)],
        env=site.environment(),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert worker.returncode == 0, worker.stderr
    seen = json.loads(worker.stdout.splitlines()[-1])
    assert seen["raised"] == [28, 28]  # ENOSPC, each job's error raised
    for job in (big_export, pack):
        job.refresh_from_db()
        assert job.state == "failed"
        assert "the disk is full" in job.error
        assert not job.file
    small_export.refresh_from_db()
    assert small_export.state == "done"
    # Only the export that fitted is on the disk: no half-written file.
    assert seen["files"] == [small_export.file.name]
