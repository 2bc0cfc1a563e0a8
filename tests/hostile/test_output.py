"""Output safety of ``ocr read -o/--overlay`` and ocr.fileio: devices, FIFOs, links, inputs
as outputs, failed runs, write failures and stale temporaries (issue 13)."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from ocr import fileio
from ocr.errors import OutputError
from tests.hostile.conftest import one_line_error, read, scan

pytestmark = pytest.mark.hostile


def test_dev_null_is_written_through_not_replaced(tmp_path, model):
    if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        pytest.skip("/dev/null is not a device on this machine (something replaced it)")
    result = read(scan(tmp_path / "v.png"), "--model", model, "-o", "/dev/null")
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_dev_full_is_one_line_and_stays_a_device(tmp_path, model):
    result = read(scan(tmp_path / "v.png"), "--model", model, "-o", "/dev/full")
    assert "/dev/full: no space left on device" in one_line_error(result)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_symlink_target_is_written_and_link_kept(tmp_path, model):
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "out.txt").symlink_to("real.txt")
    result = read(scan(tmp_path / "v.png"), "--model", model, "-o", tmp_path / "out.txt")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text() != "old"


def test_fifo_is_written_to(tmp_path, model):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    result = read(scan(tmp_path / "v.png"), "--model", model, "-o", fifo)
    reader.join(30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got and got[0].strip()


@pytest.mark.parametrize("option", ["-o", "--overlay"])
def test_input_is_never_overwritten(tmp_path, model, option):
    v = scan(tmp_path / "v.png")
    before = Path(v).read_bytes()
    assert "also an input" in one_line_error(read(v, "--model", model, option, v))
    (tmp_path / "alias.png").symlink_to("v.png")  # the same file by another name
    assert "also an input" in one_line_error(read(tmp_path / "alias.png", "--model", model, option, v))
    assert Path(v).read_bytes() == before


def test_existing_output_untouched_when_nothing_was_read(tmp_path, model):
    out = tmp_path / "result.json"
    out.write_text('{"earlier": "result"}')
    (tmp_path / "bad.png").write_bytes(b"not an image")
    result = read(tmp_path / "bad.png", tmp_path / "missing.png", "--model", model, "--format", "json",
                  "-o", out)
    assert result.exit_code == 2 and "left unchanged" in result.output
    assert out.read_text() == '{"earlier": "result"}'


def test_path_under_a_file_fails_before_the_work(tmp_path, model, monkeypatch):
    from ocr import pipeline

    def no_work(*a, **k):
        raise AssertionError("the pages were read before the output was checked")

    monkeypatch.setattr(pipeline.Predictor, "iter_read", no_work)
    v = scan(tmp_path / "v.png")
    assert "not a directory" in one_line_error(read(v, "--model", model, "-o", f"{v}/out.txt"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_fails_before_the_work(tmp_path, model):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert "cannot write" in one_line_error(read(scan(tmp_path / "v.png"), "--model", model,
                                                     "-o", folder / "out.txt"))
    finally:
        folder.chmod(0o755)


def test_full_disk_during_the_write_keeps_the_old_file(tmp_path, model, monkeypatch):
    out = tmp_path / "out.txt"
    out.write_text("earlier")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    line = one_line_error(read(scan(tmp_path / "v.png"), "--model", model, "-o", out))
    assert str(out) in line and "no space left" in line.lower()
    assert out.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir() if fileio.TMP_MARK in p.name] == []


def test_check_target_refuses_a_read_only_probe(tmp_path, monkeypatch):
    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fileio.tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match="permission denied"):
        fileio.check_target(tmp_path / "out.txt")


def test_temporaries_are_named_and_stale_ones_swept(tmp_path):
    dead = tmp_path / f".out.txt{fileio.TMP_MARK}999999999-abc.txt"  # no such process
    live = tmp_path / f".out.txt{fileio.TMP_MARK}{os.getpid()}-def.txt"  # a concurrent writer
    dead.write_text("left by kill -9")
    live.write_text("being written")
    seen = []
    with fileio.atomic_path(tmp_path / "out.txt") as tmp:
        seen.append(tmp.name)
        tmp.write_text("new")
    assert seen[0].startswith(".out.txt.ocr-tmp-")
    assert not dead.exists() and live.exists()
    assert (tmp_path / "out.txt").read_text() == "new"


def test_replaced_file_keeps_its_permissions(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old")
    out.chmod(0o640)
    fileio.write_text_atomic(out, "new")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and out.read_text() == "new"


def test_train_glyphs_out_checked_before_training(tmp_path, monkeypatch):
    import training.finetune as finetune

    monkeypatch.setattr(finetune, "finetune", lambda *a, **k: pytest.fail("trained first"))
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["train", "glyphs", str(tmp_path), "--out",
                                       str(tmp_path / "file" / "m.keras")])
    assert "not a directory" in one_line_error(result)


def test_glyphs_extract_out_checked_before_extraction(tmp_path, monkeypatch):
    import training.extract as extract

    monkeypatch.setattr(extract, "extract_many", lambda *a, **k: pytest.fail("extracted first"))
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["glyphs", "extract", scan(tmp_path / "v.png"), "--out",
                                       str(tmp_path / "file" / "glyphs")])
    assert "not a directory" in one_line_error(result)


def test_page_over_the_component_cap_is_refused_and_the_next_read(tmp_path, model, monkeypatch):
    import json

    from ocr import segment

    monkeypatch.setattr(segment, "MAX_TEXT_COMPONENTS", 6)
    busy = np.full((100, 400), 255, np.uint8)
    for i in range(12):
        cv2.rectangle(busy, (10 + 30 * i, 30), (25 + 30 * i, 60), 0, -1)
    Image.fromarray(busy).save(tmp_path / "busy.png")
    two = np.full((60, 100), 255, np.uint8)
    cv2.putText(two, "12", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    Image.fromarray(two).save(tmp_path / "two.png")
    out = tmp_path / "out.json"
    result = read(tmp_path / "busy.png", tmp_path / "two.png", "--model", model, "--format", "json",
                  "-o", out)
    assert "too many ink components" in one_line_error(result)
    pages = json.loads(out.read_text())["pages"]
    assert [Path(p["source"]).name for p in pages] == ["two.png"]


def test_overlay_of_several_pages_into_dev_null_makes_no_files(tmp_path, model):
    if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        pytest.skip("/dev/null is not a device on this machine (something replaced it)")
    a, b = scan(tmp_path / "a.png"), scan(tmp_path / "b.png")
    result = read(a, b, "--model", model, "--overlay", "/dev/null")
    assert result.exit_code == 0, result.output
    assert not any(Path("/dev").glob("null-*.png"))
