"""The real gunicorn, with the site's gunicorn.conf.py, writes an access log
with no token from the links a supporter follows."""

import http.client
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from actions.tests.integration.stack import Stack, confirmation_link, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The Procfile's --access-logfile, and every URL-bearing atom gunicorn has:
# the request line, path, query, Referer and the Location it answers with.
ACCESS_LOG = (
    "--access-logfile - --access-logformat "
    '\'ACCESS "%(r)s" %(s)s %(U)s %(q)s "%(f)s" %({location}o)s\''
)


@pytest.fixture(scope="module")
def logged_stack(real_services, make_stack) -> Stack:
    return make_stack(
        redis_url=real_services,
        web_workers=1,
        name="accesslog",
        env={"GUNICORN_CMD_ARGS": ACCESS_LOG},
    )


def _access_lines(stack: Stack) -> list[str]:
    return [line for line in stack.log("web").splitlines() if "ACCESS" in line]


def _get_with_referer(stack: Stack, path: str, referer: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Referer": referer})
        connection.getresponse().read()
    finally:
        connection.close()


def test_no_token_reaches_the_access_log(
    run_only, logged_stack, mailbox, petition, sign_data
):
    stack = run_only(logged_stack)
    sign = reverse("actions:sign", kwargs={"slug": petition.slug})
    address = "ada.accesslog@example.org"

    assert (
        stack.post(f"{sign}?source=mail", sign_data | {"email": address}).status == 302
    )
    link = confirmation_link(mailbox.wait_for(address, timeout=30))
    confirm = urlsplit(link).path
    confirm_token = confirm.rstrip("/").rsplit("/", 1)[1]
    assert stack.get(confirm).status == 200
    confirmed = stack.post(confirm)
    assert confirmed.status == 302
    thanks_token = confirmed.location.rstrip("/").rsplit("/", 1)[1]
    assert stack.get(confirmed.location).status == 200
    _get_with_referer(stack, "/healthz", referer=stack.url + confirmed.location)

    wait_until(
        lambda: len(_access_lines(stack)) >= 5,
        timeout=10,
        message=lambda: "five access log lines\n" + stack.logs(),
    )
    log = stack.log("web")
    assert confirm_token not in log
    assert thanks_token not in log
    assert "source=mail" not in log
    lines = "\n".join(_access_lines(stack))
    assert f'"POST {confirm.replace(confirm_token, "[masked]")} HTTP/1.1" 302' in lines
    assert "/thanks/[masked]/" in lines
