"""Helpers for the hostile-input suite: run ``ocr`` in a fresh process and measure its peak memory.

Memory is measured, never limited: RLIMIT_AS would kill TensorFlow's import,
which maps gigabytes of address space it never touches. ``os.wait4`` returns
the resource usage of exactly that child, so its ``ru_maxrss`` is the peak
resident memory of the whole ``ocr`` process, TensorFlow and models included.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main

ROOT = Path(__file__).resolve().parents[2]
#: Every hostile case must end within this peak resident memory (issue 13).
PEAK_LIMIT_MB = 2048


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    peak_mb: float

    def error_lines(self) -> list[str]:
        return [l for l in self.stderr.splitlines() if l.startswith("Error:")]

    def assert_clean_failure_or_success(self) -> None:
        """A result (exit 0), or exit 2 with one-line errors and no traceback."""
        assert self.rc in (0, 2), (self.rc, self.stderr[-2000:])
        assert "Traceback" not in self.stderr, self.stderr[-2000:]
        if self.rc == 2:
            assert self.error_lines(), self.stderr[-2000:]
        assert self.peak_mb < PEAK_LIMIT_MB, f"peak RSS {self.peak_mb:.0f} MB"


def run_ocr(args: list[str], cwd: Path, timeout: float = 300, stdin=None, close_stdin: bool = False) -> Run:
    """Run ``python cli.py ARGS`` in a new process; return its status, output and peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OCR_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out, err = cwd / ".stdout", cwd / ".stderr"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd, env=env,
                                stdout=fo, stderr=fe, stdin=stdin,
                                preexec_fn=(lambda: os.close(0)) if close_stdin else None)
        try:
            _, status, usage = _wait4(proc.pid, timeout)
        except TimeoutError:
            proc.kill()
            os.wait4(proc.pid, 0)
            pytest.fail(f"ocr {' '.join(args)} ran over {timeout} s")
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(proc.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"),
               usage.ru_maxrss / 1024.0)


def _wait4(pid: int, timeout: float):
    import time

    deadline = time.monotonic() + timeout
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            return got, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.05)


def text_page(path: Path, text: str = "Hello world 123", size=(300, 900)) -> Path:
    """A small printed page that the default model reads."""
    img = np.full(size, 255, np.uint8)
    cv2.putText(img, text, (20, size[0] // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 3)
    Image.fromarray(img).save(path)
    return path


@pytest.fixture(scope="session")
def model(tmp_path_factory):
    """A tiny untrained digit model: these tests are about files, not accuracy."""
    from ocr.models import builders
    from ocr.models.store import save_model

    path = tmp_path_factory.mktemp("m") / "digits.keras"
    save_model(builders.lenet(filters=(4, 8), dense_units=(16,)), path, {"labels": list("0123456789")})
    return str(path)


def scan(path: Path) -> str:
    img = np.full((60, 180), 255, np.uint8)
    for i in range(4):
        cv2.putText(img, str(i), (10 + 40 * i, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    Image.fromarray(img).save(path)
    return str(path)


def read(*args):
    return CliRunner().invoke(main, ["read", *map(str, args)])


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [l for l in result.output.splitlines() if l.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]
