"""Tests for ``ocr read --out-dir`` (ocr/batch.py): naming, collisions, resume, --force, failures."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from cli import main
from tests.test_cli_read import digits_png


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from ocr.models import builders
    from ocr.models.store import save_model

    path = tmp_path_factory.mktemp("m") / "digits.keras"
    save_model(builders.lenet(filters=(4, 8), dense_units=(16,)), path, {"labels": list("0123456789")})
    return str(path)


def run(args, model):
    return CliRunner().invoke(main, ["read", *args, "--model", model])


def files(root):
    """Every file under ``root``, as POSIX paths relative to it."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def scans(tmp_path):
    root = tmp_path / "scans"
    (root / "sub" / "deeper").mkdir(parents=True)
    digits_png(root / "a.png", 3)
    digits_png(root / "sub" / "b.png", 4)
    digits_png(root / "sub" / "deeper" / "c.png", 2)
    (root / "notes.md").write_text("not an input")
    return root


def test_nested_folders_and_file_arguments(tmp_path, scans, model):
    single = digits_png(tmp_path / "single.png", 5)
    out = tmp_path / "out"
    result = run([str(scans), single, "--out-dir", str(out)], model)
    assert result.exit_code == 0, result.output
    assert files(out) == ["a.txt", "single.txt", "sub/b.txt", "sub/deeper/c.txt"]
    assert "read 4, skipped 0, failed 0" in result.stderr
    assert result.stdout == ""
    # The same text as a plain `ocr read` of that input.
    alone = run([str(scans / "sub" / "b.png")], model)
    assert (out / "sub" / "b.txt").read_text() == alone.stdout


def test_name_collision_is_an_error_before_any_work(tmp_path, model):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    digits_png(tmp_path / "x" / "p.png")
    digits_png(tmp_path / "y" / "p.png")
    digits_png(tmp_path / "y" / "q.png")
    digits_png(tmp_path / "y" / "q.tif")
    out = tmp_path / "out"
    result = run([str(tmp_path / "x" / "p.png"), str(tmp_path / "y"), "--out-dir", str(out)], model)
    assert result.exit_code == 2
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and "p.txt" in error[0] and "q.txt" in error[0] and "Traceback" not in result.output
    assert files(out) == []  # nothing read


def test_failures_list_is_a_reserved_name(tmp_path, model):
    digits_png(tmp_path / "failures.png")
    result = run([str(tmp_path / "failures.png"), "--out-dir", str(tmp_path / "out"), "--format", "tsv"], model)
    assert result.exit_code == 2 and "failures list" in result.stderr


def test_resume_skips_finished_inputs_and_force_redoes_them(tmp_path, scans, model):
    out = tmp_path / "out"
    # A run killed after two inputs: their results exist, plus a temporary of a dead writer.
    out.mkdir()
    (out / "a.txt").write_text("KEEP-A")
    (out / "sub").mkdir()
    (out / "sub" / "b.txt").write_text("KEEP-B")
    (out / "sub" / "deeper").mkdir()
    (out / "sub" / "deeper" / ".c.txt.ocr-tmp-999999999-x.txt").write_text("half")
    result = run([str(scans), "--out-dir", str(out)], model)
    assert result.exit_code == 0, result.output
    assert "read 1, skipped 2, failed 0" in result.stderr
    assert (out / "a.txt").read_text() == "KEEP-A" and (out / "sub" / "b.txt").read_text() == "KEEP-B"
    assert files(out) == ["a.txt", "sub/b.txt", "sub/deeper/c.txt"]
    # Everything done: a rerun reads nothing.
    again = run([str(scans), "--out-dir", str(out)], model)
    assert "read 0, skipped 3, failed 0" in again.stderr
    forced = run([str(scans), "--out-dir", str(out), "--force"], model)
    assert forced.exit_code == 0 and "read 3, skipped 0, failed 0" in forced.stderr
    assert (out / "a.txt").read_text() != "KEEP-A"


def test_failures_file_written_then_removed(tmp_path, scans, model):
    bad = scans / "sub" / "broken.png"
    bad.write_bytes(b"not a png")
    out = tmp_path / "out"
    result = run([str(scans), "--out-dir", str(out)], model)
    assert result.exit_code == 2
    assert "read 3, skipped 0, failed 1" in result.stderr
    rows = (out / "failures.tsv").read_text().splitlines()
    assert rows[0] == "input\terror" and len(rows) == 2 and rows[1].startswith(f"{bad}\t")
    assert not (out / "sub" / "broken.txt").exists()
    # Fixed input: the rerun reads only it, and the failures list goes away.
    digits_png(bad)
    fixed = run([str(scans), "--out-dir", str(out)], model)
    assert fixed.exit_code == 0 and "read 1, skipped 3, failed 0" in fixed.stderr
    assert not (out / "failures.tsv").exists()


def test_output_folder_inside_input_folder_is_not_read_back(tmp_path, scans, model):
    out = scans / "ocr"
    first = run([str(scans), "--out-dir", str(out), "--format", "pdf"], model)
    if first.exit_code == 2 and "fpdf" in first.stderr:
        pytest.skip("the pdf extra is not installed")
    assert first.exit_code == 0, first.output
    assert files(out) == ["a.pdf", "sub/b.pdf", "sub/deeper/c.pdf"]
    second = run([str(scans), "--out-dir", str(out), "--format", "pdf"], model)
    assert "read 0, skipped 3, failed 0" in second.stderr  # the PDFs in scans/ocr are no inputs
    assert files(out) == ["a.pdf", "sub/b.pdf", "sub/deeper/c.pdf"]


def test_one_file_per_page_format(tmp_path, model):
    from PIL import Image

    pages = [Image.open(digits_png(tmp_path / f"p{i}.png", 2 + i)) for i in range(2)]
    pages[0].save(tmp_path / "two.tif", save_all=True, append_images=pages[1:])
    out = tmp_path / "out"
    result = run([str(tmp_path / "two.tif"), "--out-dir", str(out), "--format", "page"], model)
    assert result.exit_code == 0, result.output
    assert files(out) == ["two-1.xml", "two-2.xml"]
    os.remove(out / "two-2.xml")  # killed between the pages: the input is read again
    again = run([str(tmp_path / "two.tif"), "--out-dir", str(out), "--format", "page"], model)
    assert "read 1, skipped 0" in again.stderr and files(out) == ["two-1.xml", "two-2.xml"]
    done = run([str(tmp_path / "two.tif"), "--out-dir", str(out), "--format", "page"], model)
    assert "read 0, skipped 1" in done.stderr


@pytest.mark.parametrize("args,message", [
    (["-o", "x.txt"], "-o and --out-dir"),
    (["-"], "stdin"),
])
def test_option_errors_are_one_line(tmp_path, model, args, message):
    good = digits_png(tmp_path / "a.png")
    result = run([good, "--out-dir", str(tmp_path / "out"), *args], model)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_force_without_out_dir(tmp_path, model):
    result = run([digits_png(tmp_path / "a.png"), "--force"], model)
    assert result.exit_code == 2 and "--out-dir" in result.stderr
