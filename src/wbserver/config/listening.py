"""The address `wbserver serve` listens on, noted in the data folder so that the links the
CLI prints (password resets, invites) name it when HOST is empty."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

DEFAULT_ADDRESS = "http://127.0.0.1:8080"
NOTE = "listening"  # a file of the data folder: one line, http://HOST:PORT


def address_of(host: str, port: int) -> str:
    """http://HOST:PORT a browser can open; a wildcard (0.0.0.0, ::) becomes loopback."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"http://{host}:{port}"
    if ip.is_unspecified:
        ip = ipaddress.ip_address("::1" if ip.version == 6 else "127.0.0.1")
    shown = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"http://{shown}:{port}"


def note_listening(data_dir: str, host: str, port: int) -> str:
    address = address_of(host, port)
    path = Path(data_dir) / NOTE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(address + "\n")
    os.replace(temporary, path)
    return address


def listening_address(data_dir: str) -> str | None:
    try:
        text = (Path(data_dir) / NOTE).read_text().strip()
    except OSError:
        return None
    return text if text.startswith("http://") else None
