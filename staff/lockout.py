"""The address django-axes counts admin login failures against."""

import ipaddress

from django.http import HttpRequest

from campaign.clientip import client_ip


def lockout_address(request: HttpRequest) -> str:
    """The client's address as the lockout counts it.

    An IPv6 client is counted by its /64 network, written as the network's
    first address (one home or phone is given a whole /64 and may pick any
    address in it); an IPv4-mapped address by its IPv4 address. Anything
    else is returned as ``campaign.clientip.client_ip`` gives it.
    """
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)
