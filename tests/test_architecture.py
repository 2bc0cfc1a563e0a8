"""The package's shape: no import circles, image stages free of Keras, a quick ``--help``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Pure numpy/OpenCV stages: they must never import Keras, TensorFlow or the model layer.
IMAGE_STAGES = ("io", "preprocess", "layout", "segment", "normalize", "signature", "classify", "oversegment",
                "postprocess")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> project modules it imports, at module level or inside functions.

    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    modules = {_module_name(p): p for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING"
                       for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                base = node.module
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            # A package's __init__ re-exporting its modules is not a circle through them.
            if nxt == node.rpartition(".")[0] and node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_circles():
    for package in ("ocr", "training"):
        graph = import_graph(package)
        assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_image_stages_do_not_import_keras_or_models():
    graph = import_graph("ocr")
    for stage in IMAGE_STAGES:
        source = (ROOT / "ocr" / f"{stage}.py").read_text(encoding="utf-8")
        assert "import keras" not in source and "tensorflow" not in source, stage
        assert not any(t.startswith("ocr.models") or t == "ocr.pipeline" for t in graph[f"ocr.{stage}"]), stage


def test_help_imports_no_heavy_module():
    code = ("import sys, cli; heavy = [m for m in ('keras', 'tensorflow', 'numpy', 'cv2') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
