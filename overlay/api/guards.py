"""Checks every request passes before a route sees it: the Host header and NUL bytes.

Without a token, ``overlay serve`` on loopback trusts whoever can reach it; a web page can still reach
it through DNS rebinding (its own name re-pointed at 127.0.0.1), but its requests then carry the page's
host name in ``Host``. As Jupyter does, such a server answers only Host names that are loopback or the
bound address, plus the ones a user allows (``allowed_hosts=`` or ``$OVERLAY_ALLOWED_HOSTS``, comma
separated; ``*`` allows any).

A NUL byte cannot be part of an asset key, a DAG id or a search text, and PostgreSQL refuses it in a
string: a request holding one in its path or query gets a 400 that says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import parse_qsl

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def allowed_host_names(bound_host: str | None = None, extra: Iterable[str] | None = None) -> frozenset[str]:
    """Loopback names, the bound host and the user's extra names (argument, else ``$OVERLAY_ALLOWED_HOSTS``)."""
    names = set(LOOPBACK_HOSTS)
    if bound_host:
        names.add(_normal(bound_host))
    if extra is None:
        extra = os.environ.get("OVERLAY_ALLOWED_HOSTS", "").split(",")
    names |= {_normal(name) for name in extra if name.strip()}
    return frozenset(names)


def host_name(header: str) -> str:
    """The name part of a Host header: port dropped, IPv6 brackets removed, lower case, no trailing dot."""
    header = header.strip()
    if header.startswith("["):
        return _normal(header[1:].split("]", 1)[0])
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return _normal(header)


def host_problem(headers: Iterable[tuple[bytes, bytes]], allowed: frozenset[str]) -> str | None:
    """Why a request's Host header is refused, or None when it is allowed."""
    if "*" in allowed:
        return None
    hosts = [value.decode("latin-1") for name, value in headers if name.lower() == b"host"]
    if not hosts:
        return "request without a Host header refused (this server answers only its own host names)"
    name = host_name(hosts[0])
    if name in allowed or name.startswith("127.") and _is_ipv4(name):
        return None
    return (f"Host {hosts[0]!r} is not allowed: without a token this server answers only "
            f"{', '.join(sorted(allowed))} (set OVERLAY_ALLOWED_HOSTS=name,... or OVERLAY_API_TOKEN)")


def nul_problem(path: str, query_string: bytes) -> str | None:
    """Where a NUL byte hides in the decoded path or query, or None."""
    if "\x00" in path:
        return "the path contains a NUL byte (\\x00), which no asset key, DAG id or task id can hold"
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"):
        if "\x00" in name or "\x00" in value:
            return f"parameter {name.replace(chr(0), '')!r} contains a NUL byte (\\x00), which no search text, owner or key can hold"
    return None


def _normal(name: str) -> str:
    return name.strip().lower().rstrip(".")


def _is_ipv4(name: str) -> bool:
    parts = name.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)
