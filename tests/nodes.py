"""scripts/nodes started from a test: the nodes behind nginx, and their addresses once they are ready."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def require_nginx() -> None:
    """Skip without nginx; in CI (CI=true), where .ci/run installs it, fail instead."""
    if shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI must run the tests behind nginx, but nginx is not installed")
    pytest.skip("nginx is not installed (apt-get install nginx-light)")


@contextmanager
def running_nodes(*arguments: str, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Run ``scripts/nodes`` until the block ends; yields {"balancer": url, "node A": url, ..., "database": url}."""
    process = subprocess.Popen([ROOT / "scripts" / "nodes", *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env={**os.environ, **env})
    urls, lines = {}, []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("ready"):
                break
            if match := re.match(r"(balancer|node [A-Z]|database)\s+(\S+)", line):
                urls[match.group(1)] = match.group(2)
        assert process.poll() is None and "balancer" in urls, "scripts/nodes did not start:\n" + "".join(lines)
        yield urls
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
