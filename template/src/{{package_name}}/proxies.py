"""Which peers may tell the API who its client is: `FORWARDED_ALLOW_IPS`.

A request from one of these addresses has its `X-Forwarded-For` (the client's address: the
access log's `client_ip`, a rate limit's key) and `X-Forwarded-Proto` believed; from any other
peer both are ignored, so a client cannot pose as another by sending the header itself. Behind
an ingress, list the ingress's addresses or network (a Kubernetes pod network, say); `*` trusts
every peer, and is never the default.
"""

import ipaddress

DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"  # loopback: a proxy on the same machine only
TRUST_EVERY_PEER = "*"


def trusted_proxies(value: str) -> list[str]:
    """`value` (comma-separated addresses and networks, or `*`) as uvicorn takes it; a malformed
    entry is refused (uvicorn would keep it as a name no peer ever has, and trust nobody)."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    if entries == [TRUST_EVERY_PEER]:
        return entries
    for entry in entries:
        try:
            if "/" in entry:
                ipaddress.ip_network(entry)
            else:
                ipaddress.ip_address(entry)
        except ValueError:
            msg = f"{entry!r} is not an IP address or network (nor `*` on its own)"
            raise ValueError(msg) from None
    return entries
