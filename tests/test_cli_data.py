"""``ocr data list`` and ``ocr data download``: where datasets are, and fetching only on request."""

from __future__ import annotations

import hashlib
import io
import json

from tests.test_cli import assert_one_line_error, run
from training.datasets import download as dl
from training.datasets import registry


def test_list_says_where_each_dataset_is_or_how_to_get_it(digits_dir, tmp_path):
    result = run("data", "list", "--data-dir", digits_dir, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["searched"] == [str(digits_dir), str(tmp_path / "cache" / "ocr" / "datasets")]
    rows = {row["name"]: row for row in report["datasets"]}
    assert set(rows) == set(registry.DATASETS)
    assert rows["mnist"]["path"] == str(digits_dir / "mnist") and rows["mnist"]["hint"] is None
    assert rows["emnist-byclass"]["path"] is None
    assert "ocr data download emnist-byclass" in rows["emnist-byclass"]["hint"]
    assert rows["orand-car-a"]["path"] is None and not rows["orand-car-a"]["downloadable"]
    assert "cannot be downloaded" in rows["orand-car-a"]["hint"]


def test_list_reads_ocr_data_dir(digits_dir, monkeypatch):
    monkeypatch.setenv("OCR_DATA_DIR", str(digits_dir))
    result = run("data", "list")
    assert result.exit_code == 0, result.output
    assert f"mnist            {digits_dir / 'mnist'}" in result.stdout
    assert "orand-car-a      missing" in result.stdout


def test_download_refusals_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("OCR_OFFLINE", "1")
    assert_one_line_error(run("data", "download", "mnist", "nmist"), "unknown dataset 'nmist'")
    assert_one_line_error(run("data", "download", "orand-car-a"), "cannot be downloaded")
    assert_one_line_error(run("data", "download", "mnist"), "downloads are off (OCR_OFFLINE is set)")
    assert not (tmp_path / "cache").exists()


def test_download_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("OCR_OFFLINE", raising=False)
    files = {}
    for split in registry.SPLITS:
        for name in registry.DATASETS["mnist"].filenames(split):
            files[name] = name.encode() * 3
            monkeypatch.setitem(registry.SHA256, name, hashlib.sha256(files[name]).hexdigest())
    urls = []

    def opener(url, timeout):
        urls.append(url)
        return io.BytesIO(files[url.rsplit("/", 1)[-1]])

    monkeypatch.setattr(dl, "https_open", opener)
    result = run("data", "download", "mnist")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "cache" / "ocr" / "datasets" / "mnist"
    assert result.stdout == f"mnist: 4 files in {folder}\n"
    assert len(urls) == 4 and {p.name: p.read_bytes() for p in folder.iterdir()} == files
