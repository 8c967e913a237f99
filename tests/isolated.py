"""Run code in a fresh interpreter with a timeout, so a hang fails one test, not the suite."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python(
    code: str, *, timeout: float = 30, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this checkout's package first on the path; fail the test on a hang."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    try:
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout}s (it blocks):\n{code}")


NOBODY = 65534


@contextlib.contextmanager
def world_readable_dir() -> Iterator[Path]:
    """A temporary folder that an unprivileged user may enter (pytest's tmp_path is 0700)."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)
        yield Path(name)


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Drop root's power to read any file for the block, so chmod 000 means unreadable.

    Under root, file modes do not stop reads: the effective uid becomes nobody's
    and is restored afterwards (the real uid stays root, which allows it back).
    """
    if os.name != "posix" or os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
