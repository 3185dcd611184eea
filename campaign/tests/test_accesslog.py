"""gunicorn's access log keeps no token from the site's links."""

import logging
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from gunicorn.config import Config

from actions.core import tokens
from campaign.accesslog import MASK, TokenMaskingLogger, mask

TOKEN = "MTIz:1tXyz9:Qp3x_Ab-cdEfGhIjKlMnOpQrStUvWxYz0123456789"


@pytest.mark.parametrize(
    "path",
    [
        reverse("actions:confirm", args=["a-petition", TOKEN]),
        reverse("actions:thanks", args=["a-petition", TOKEN]),
        reverse("actions:unsubscribe", args=[TOKEN]),
        reverse("actions:email_preferences", args=[TOKEN]),
        reverse("actions:your_data_copy", args=[TOKEN]),
        reverse("actions:your_data_json", args=[TOKEN]),
        reverse("actions:receipt", args=[TOKEN]),
        reverse("actions:receipt_download", args=[TOKEN]),
        f"/admin/actions/signatureexport/7/download/{TOKEN}/",
        f"/admin/deliverypacks/deliverypack/7/download/{TOKEN}/",
        f"/some/future/page/{TOKEN}/",  # a signed value anywhere
        f"/petitions/a-petition/confirm/{TOKEN.replace(':', '%3A')}/",
    ],
)
def test_a_token_in_a_path_is_masked(path):
    line = f'127.0.0.1 "GET {path} HTTP/1.1" 200 "http://127.0.0.1:8000{path}"'

    masked = mask(line)

    assert TOKEN not in masked and TOKEN.replace(":", "%3A") not in masked
    assert MASK in masked
    assert "http://127.0.0.1:8000/" in masked  # a host's port is no token


def test_real_tokens_of_every_purpose_are_masked():
    made = [
        tokens.make_confirmation_token(123456),
        tokens.make_thanks_token(123456),
        tokens.make_data_token(123456),
        tokens.make_unsubscribe_token(123456),
        tokens.make_download_token(export_id=7, user_id=1),
        tokens.make_delivery_pack_token(pack_id=7, user_id=1),
        tokens.make_receipt_token(123456),
    ]
    for token in made:
        assert token not in mask(f"/x/{token}/"), token


@pytest.mark.parametrize(
    "path",
    [
        "/your-data/sent/",
        "/your-data/erased/",
        "/receipts/check/",
        "/receipts/feed/",
        "/petitions/a-petition/thanks/",
        "/",
    ],
)
def test_paths_without_a_token_stay_as_they_are(path):
    assert mask(f"GET {path} HTTP/1.1") == f"GET {path} HTTP/1.1"


def test_query_strings_are_masked():
    masked = mask('"GET /petitions/a/?source=x&email=me@example.org HTTP/1.1"')

    assert masked == f'"GET /petitions/a/?{MASK} HTTP/1.1"'


def _access_line(path: str, query: str, referer: str, location: str) -> str:
    """The line gunicorn's access log writes for one request, through the
    logger gunicorn.conf.py names, with every URL-bearing atom in its format."""
    config = Config()
    config.set("accesslog", "-")
    config.set(
        "access_log_format",
        '"%(r)s" %(U)s %(q)s "%(f)s" %({referer}i)s %({location}o)s',
    )
    logger = TokenMaskingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": referer,
        "REMOTE_ADDR": "127.0.0.1",
    }
    request = type("Req", (), {"headers": [("REFERER", referer)]})()
    response = type(
        "Resp",
        (),
        {"status": "302 Found", "sent": 0, "headers": [("Location", location)]},
    )()
    kept = _Kept()
    logger.access_log.addHandler(kept)
    logger.access(response, request, environ, timedelta(milliseconds=5))
    return kept.lines[-1]


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_logger_masks_every_url_in_the_access_log():
    confirm = reverse("actions:confirm", args=["a-petition", TOKEN])
    thanks = reverse("actions:thanks", args=["a-petition", TOKEN + "x"])

    line = _access_line(confirm, "t=" + TOKEN, f"https://c.example{confirm}", thanks)

    assert TOKEN not in line
    assert line.count(MASK) == 7  # the request line holds two


def test_gunicorn_runs_the_masking_logger():
    """gunicorn.conf.py, which the Procfile names and gunicorn reads from
    the working directory by default, sets the logger."""
    procfile = (Path(settings.BASE_DIR) / "Procfile").read_text()
    web = re.search(r"^web: (.*)$", procfile, re.M).group(1)
    assert "--config gunicorn.conf.py" in web
    code = (
        "from gunicorn.app.wsgiapp import WSGIApplication; "
        "app = WSGIApplication(); "
        "print(app.cfg.logger_class.__module__, app.cfg.logger_class.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "campaign.wsgi"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.split() == ["campaign.accesslog", "TokenMaskingLogger"], (
        result.stderr
    )
