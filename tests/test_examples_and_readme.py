"""The README's code and the examples run as documented."""

import pathlib
import re
import runpy

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_python_blocks_run():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own docs


def test_autograd_mlp_example_learns():
    module = runpy.run_path(str(ROOT / "examples" / "autograd_mlp.py"))
    assert module["main"](epochs=150) > 0.8
