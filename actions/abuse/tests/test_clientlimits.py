"""Per-client limits on the forms that send email without signing."""

from actions.abuse.clientlimits import over_client_limit


def _over(client_ip: str, action: str = "resend", limit: int = 2) -> bool:
    return over_client_limit(
        action=action, client_ip=client_ip, limit=limit, seconds=3600
    )


def test_a_client_is_held_past_its_limit_and_others_are_not():
    assert [_over("203.0.113.9") for _ in range(3)] == [False, False, True]
    assert not _over("203.0.113.10")
    assert not _over("203.0.113.9", action="data-request")


def test_an_ipv6_client_is_counted_by_its_64():
    assert not _over("2001:db8:1:2::1")
    assert not _over("2001:db8:1:2::ffff")
    assert _over("2001:db8:1:2:abcd::9")
    assert not _over("2001:db8:1:3::1")


def test_no_client_address_or_no_limit_never_holds():
    assert not any(_over("") for _ in range(5))
    assert not any(_over("203.0.113.9", limit=0) for _ in range(5))
