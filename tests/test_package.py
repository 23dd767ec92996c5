"""The top-level package: what ``import ember`` loads, and the names loaded on first use."""

import subprocess
import sys

import pytest

import ember

_OPTIONAL = ("torch", "PIL", "sklearn", "tqdm", "tensorboard", "matplotlib", "onnx", "yaml")


def _modules_after_import_ember() -> set:
    code = "import sys, ember; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_ember_loads_no_optional_dependency_and_no_training_engine():
    loaded = _modules_after_import_ember()
    assert not any(m.split(".")[0] in _OPTIONAL for m in loaded)
    # the Trainer and checkpoint code load on first use, keeping `import ember` fast
    assert "ember.train" not in loaded and "ember.serialization" not in loaded


@pytest.mark.parametrize(
    "name, module",
    [
        ("Trainer", "ember.train"),
        ("TrainModule", "ember.train"),
        ("DataModule", "ember.train"),
        ("Learner", "ember.train"),
        ("seed_everything", "ember.train"),
        ("save", "ember.serialization"),
        ("load", "ember.serialization"),
    ],
)
def test_lazy_names_resolve_to_their_definitions(name, module):
    import importlib

    assert getattr(ember, name) is getattr(importlib.import_module(module), name)
    assert name in dir(ember)


def test_lazy_subpackages_are_attributes():
    assert ember.train.Trainer is ember.Trainer
    assert ember.serialization.save is ember.save
    assert "tune" in dir(ember)


def test_summary_is_reachable_from_the_package_as_the_readme_shows():
    code = (
        "import sys, ember; assert 'ember.summary' not in sys.modules; "
        "s = ember.summary.summary(ember.nn.Linear(3, 2), input_size=(4, 3)); "
        "print(s.total_params)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "8"  # after the printed table


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="module 'ember' has no attribute 'nonexistent'"):
        ember.nonexistent  # noqa: B018
