"""Start a private redis-server on a loopback port: tests and benchmarks never touch one they did not start."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def start_redis(
    port: int,
    workdir: Path,
    *,
    timeout: float = 10.0,
    aof: bool = False,
    fsync: str = "everysec",
    extra: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """Start redis-server and wait until it answers PING; raise if it does not.

    Without `aof` it keeps nothing on disk; with it, an append-only file in `workdir` (fsync every second), so a
    restart on the same directory finds what was written."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run .ci/run, or apt-get install redis-server")
    options = [
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "yes" if aof else "no",
        "--appendfsync",
        fsync,
        "--dir",
        str(workdir),
        *extra,
    ]
    process = subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
