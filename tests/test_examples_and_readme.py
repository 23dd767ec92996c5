"""The README's code and the examples run as documented."""

import pathlib
import re
import runpy
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")  # the quickstart trains on load_digits
    monkeypatch.chdir(tmp_path)  # the Trainer writes runs/... here
    blocks = readme_blocks()
    assert len(blocks) >= 4
    namespace = {}
    for block in blocks:
        start = time.perf_counter()
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own docs
        # NOTE: generous bound; the blocks take ~1-3 s each on an idle 2-core machine
        assert time.perf_counter() - start < 60, block[:200]
    assert namespace["trainer"].callback_metrics["val_acc"] > 0.9
    assert (tmp_path / "runs" / "quickstart").is_dir()


def test_readme_lists_every_example():
    text = (ROOT / "README.md").read_text()
    for script in sorted((ROOT / "examples").glob("[0-9][0-9]_*.py")):
        assert f"(examples/{script.name})" in text, script.name
    for config in sorted((ROOT / "examples" / "configs").glob("*")):
        assert config.suffix in (".yaml", ".yml", ".json")


def test_autograd_mlp_example_learns():
    path = ROOT / "examples" / "autograd_mlp.py"
    if not path.exists():
        pytest.skip("examples/autograd_mlp.py was removed")
    module = runpy.run_path(str(path))
    assert module["main"](epochs=150) > 0.8
