"""``ocr read --out-dir --ray local``: a real local Ray cluster writes what a local run writes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main
from tests.test_batch import files, model  # noqa: F401  (the model fixture)
from tests.test_cli_read import digits_png


def test_without_ray_one_line(tmp_path, model, monkeypatch):  # noqa: F811
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    result = CliRunner().invoke(main, ["read", digits_png(tmp_path / "a.png"), "--out-dir", str(tmp_path / "o"),
                                       "--ray", "local", "--model", model])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: --ray needs Ray Data: pip install 'ray[data]>=2.40' (the ray extra: pip install '.[ray]' "
        "in the ocr checkout)"]


@pytest.mark.slow
def test_local_cluster_equals_local_run(tmp_path, model, monkeypatch):  # noqa: F811
    pytest.importorskip("ray.data", reason="Ray Data is the ray extra: pip install '.[ray]'")
    scans = tmp_path / "scans"
    (scans / "sub").mkdir(parents=True)
    for i in range(5):
        digits_png(scans / ("sub" if i % 2 else "") / f"p{i}.png", 2 + i)
    (scans / "broken.png").write_bytes(b"not an image")
    monkeypatch.chdir(tmp_path)  # relative inputs: workers must still find them and name them so
    runner = CliRunner()
    for fmt in ("json", "text"):
        local = runner.invoke(main, ["read", "scans", "--out-dir", f"local-{fmt}", "--format", fmt,
                                     "--model", model])
        on_ray = runner.invoke(main, ["read", "scans", "--out-dir", f"ray-{fmt}", "--format", fmt,
                                      "--model", model, "--ray", "local", "--ray-workers", "2"])
        assert local.exit_code == on_ray.exit_code == 2, on_ray.output  # broken.png failed in both
        assert "read 5, skipped 0, failed 1" in on_ray.stderr
        names = files(tmp_path / f"local-{fmt}")
        assert len(names) == 6 and names == files(tmp_path / f"ray-{fmt}")
        for name in names:
            assert (tmp_path / f"local-{fmt}" / name).read_bytes() == (tmp_path / f"ray-{fmt}" / name).read_bytes()
    resumed = runner.invoke(main, ["read", "scans", "--out-dir", "ray-text", "--model", model, "--ray", "local"])
    assert "read 0, skipped 5, failed 1" in resumed.stderr
