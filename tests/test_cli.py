"""The ``ember`` command line: demo, train, tune, summary, bench, --version and config errors."""

import csv
import json
import os
import pathlib
import subprocess
import sys

import pytest

from ember._cli.config import CLIError, ConfigError, load_config, parse_value, with_overrides
from ember.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]

TINY = {
    "seed": 0,
    "model": {"name": "LogisticRegression", "in_features": 4, "num_classes": 3},
    "data": {"dataset": "iris", "batch_size": 16, "val_split": 0.2, "test_split": 0.2},
    "optimizer": {"name": "SGD", "lr": 0.1},
    "trainer": {"max_epochs": 3, "enable_model_summary": False, "enable_progress_bar": False},
}


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder, so runs/ lands in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_json(path, config) -> str:
    path.write_text(json.dumps(config))
    return str(path)


def run_cli(*argv) -> subprocess.CompletedProcess:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "ember", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


# -- version, help, python -m ember ---------------------------------------------------------------
def test_version(capsys):
    import ember

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"ember {ember.__version__}"


def test_python_m_ember_version_and_usage():
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("ember ")
    bare = run_cli()
    assert bare.returncode == 2
    for command in ("demo", "train", "tune", "summary", "bench"):
        assert command in bare.stdout


# -- config values and overrides ------------------------------------------------------------------
def test_parse_value_reads_yaml_scalars():
    pytest.importorskip("yaml")
    assert parse_value("3") == 3
    assert parse_value("1e-3") == pytest.approx(1e-3)  # a float, unlike PyYAML's YAML 1.1 rule
    assert parse_value("true") is True
    assert parse_value("[64, 10]") == [64, 10]
    assert parse_value("null") is None
    assert parse_value("Adam") == "Adam"


def test_parse_value_without_pyyaml(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    assert parse_value("1e-3") == pytest.approx(1e-3)
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("SGD") == "SGD"


def test_overrides_set_dotted_keys_and_keep_the_original():
    base = {"trainer": {"max_epochs": 5}, "search": {"space": {"optimizer.lr": [0.1]}}}
    out = with_overrides(
        base, ["trainer.max_epochs=2", "model.name=MLP", "search.space.optimizer.lr=[0.5, 0.2]"]
    )
    assert out["trainer"]["max_epochs"] == 2 and out["model"] == {"name": "MLP"}
    assert out["search"]["space"] == {"optimizer.lr": [0.5, 0.2]}
    assert base["trainer"]["max_epochs"] == 5
    with pytest.raises(ConfigError, match="'trainer.max_epochs' is 5, not a section"):
        with_overrides(base, ["trainer.max_epochs.x=1"])
    with pytest.raises(ConfigError, match="must look like key.sub=value"):
        with_overrides(base, ["trainer.max_epochs"])


def test_yaml_config_needs_pyyaml(tmp_path, monkeypatch, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("seed: 0\n")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(CLIError, match=r"pip install ember\[train\]"):
        load_config(str(path))
    assert main(["train", str(path)]) == 2
    assert "pip install ember[train]" in capsys.readouterr().err


def test_yaml_config_reads_exponent_floats(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "c.yml"
    path.write_text("optimizer:\n  name: Adam\n  lr: 1e-3\n  betas: [0.9, 0.99]\n")
    assert load_config(str(path))["optimizer"] == {"name": "Adam", "lr": 1e-3, "betas": [0.9, 0.99]}


# -- summary --------------------------------------------------------------------------------------
def test_summary_of_a_zoo_model(capsys):
    assert main(["summary", "LeNet5", "input_size=8", "padding=4", "--input-size", "1,1,8,8"]) == 0
    out = capsys.readouterr().out
    assert "15,626" in out and "Conv2d" in out


def test_summary_without_input_size_counts_parameters(capsys):
    assert main(["summary", "resnet20"]) == 0
    assert "Total params: 269,722" in capsys.readouterr().out


def test_summary_unknown_model_suggests_a_name(capsys):
    assert main(["summary", "Lenet5x"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'Lenet5x'" in err and "did you mean 'LeNet5'" in err


# -- train ----------------------------------------------------------------------------------------
def test_train_json_config_with_overrides(in_tmp, capsys):
    pytest.importorskip("sklearn")
    cfg = write_json(in_tmp / "tiny.json", TINY)
    assert main(["train", cfg, "trainer.max_epochs=1", "optimizer.lr=0.05"]) == 0
    out = capsys.readouterr().out
    assert "test_acc" in out and "best checkpoint:" in out
    log_dir = in_tmp / "runs" / "tiny" / "ember_logs" / "version_0"
    with open(log_dir / "metrics.csv", newline="") as fh:
        epochs = {float(row["epoch"]) for row in csv.DictReader(fh) if row["train_loss"]}
    assert epochs == {0.0}  # one epoch: the override won over max_epochs: 3
    hparams = json.loads((log_dir / "hparams.json").read_text())
    assert hparams["optimizer"] == {"name": "SGD", "lr": 0.05}
    assert list((log_dir / "checkpoints").glob("epoch=0-*.ckpt"))


def test_train_yaml_config(in_tmp, capsys):
    pytest.importorskip("yaml")
    pytest.importorskip("sklearn")
    (in_tmp / "mlp.yaml").write_text(
        "model: {name: MLP, sizes: [64, 16, 10]}\n"
        "data: {dataset: digits, flatten: true, batch_size: 128}\n"
        "optimizer: {name: Adam, lr: 1e-2}\n"
        "scheduler: {name: StepLR, step_size: 1, interval: epoch}\n"
        "trainer: {max_epochs: 1, enable_progress_bar: false, enable_model_summary: false}\n"
        "early_stopping: {monitor: val_loss, patience: 1}\n"
    )
    assert main(["train", "mlp.yaml"]) == 0
    assert (in_tmp / "runs" / "mlp" / "ember_logs" / "version_0" / "metrics.csv").is_file()
    assert "test_acc" in capsys.readouterr().out


@pytest.mark.parametrize(
    "override, key, words",
    [
        ("optimizer.name=Adamm", "optimizer.name", ["unknown optimizer 'Adamm'", "SGD", "Adam"]),
        ("model.hiden=3", "model.hiden", ["LogisticRegression takes no argument 'hiden'"]),
        ("model.in_features=-1", "model", ["in_features and num_classes must be positive"]),
        ("data.dataset=mnist", "data.dataset", ["unknown dataset 'mnist'", "digits"]),
        ("data.batch_size=0", "data.batch_size", ["expected a positive integer, got 0"]),
        ("data.val_split=1.5", "data.val_split", ["expected a fraction"]),
        ("trainer.max_epocs=2", "trainer.max_epocs", ["Trainer takes no argument"]),
        ("scheduler.name=Cosine", "scheduler.name", ["unknown lr scheduler 'Cosine'"]),
        ("scheduler.name=StepLR", "scheduler.step_size", ["StepLR needs a value"]),
        ("modle.name=MLP", "modle", ["unknown key 'modle'"]),
        ("seed=abc", "seed", ["expected an integer"]),
    ],
)
def test_bad_config_names_the_key(in_tmp, capsys, override, key, words):
    pytest.importorskip("sklearn")
    cfg = write_json(in_tmp / "tiny.json", TINY)
    assert main(["train", cfg, override]) == 2
    err = capsys.readouterr().err
    assert f"config error at '{key}': " in err
    for word in words:
        assert word in err
    assert "Traceback" not in err
    assert not (in_tmp / "runs").exists()  # nothing was trained


def test_bad_config_exits_2_without_traceback(tmp_path):
    cfg = write_json(tmp_path / "bad.json", {**TINY, "optimizer": {"name": "Adamm"}})
    done = run_cli("train", cfg)
    assert done.returncode == 2
    assert "config error at 'optimizer.name': unknown optimizer 'Adamm'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "text, words",
    [
        ("{not json", ["cannot parse"]),
        ("[1, 2]", ["must hold a mapping"]),
    ],
)
def test_unreadable_config(tmp_path, capsys, text, words):
    path = tmp_path / "c.json"
    path.write_text(text)
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words)
    assert main(["train", str(tmp_path / "missing.json")]) == 2
    assert "no such config file" in capsys.readouterr().err


# -- tune -----------------------------------------------------------------------------------------
def test_tune_two_trials_prints_ranked_table(in_tmp, capsys):
    pytest.importorskip("sklearn")
    search = {
        "method": "random",
        "n_trials": 2,
        "max_epochs": 1,
        "space": {
            "optimizer.lr": {"type": "loguniform", "low": 1e-3, "high": 1e-1},
            "data.batch_size": [16, 32],
        },
    }
    cfg = write_json(in_tmp / "search.json", {**TINY, "search": search})
    assert main(["tune", cfg]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| rank | trial | data.batch_size | optimizer.lr | val_loss")
    assert len(table) == 2 + 2 and all("| ok |" in row for row in table[2:])
    assert "best config: {" in out
    assert (in_tmp / "runs" / "tune" / "search" / "results.csv").is_file()


@pytest.mark.parametrize(
    "search, key, words",
    [
        (
            {"space": {"optimizer.lr": {"type": "logunif", "low": 1, "high": 2}}},
            "search.space.optimizer.lr.type",
            ["unknown search space type 'logunif'"],
        ),
        (
            {"space": {"optimizer.lr": {"type": "uniform", "low": 1}}},
            "search.space.optimizer.lr.high",
            ["uniform needs a value"],
        ),
        ({"space": {"lr": [0.1]}}, "search.space.lr", ["starts with a config section"]),
        (
            {"method": "grid", "space": {"optimizer.lr": {"type": "uniform", "low": 0, "high": 1}}},
            "search",
            ["grid_search needs"],
        ),
        ({"method": "bayes", "space": {"optimizer.lr": [0.1]}}, "search.method", ["'bayes'"]),
    ],
)
def test_tune_bad_search_names_the_key(in_tmp, capsys, search, key, words):
    pytest.importorskip("sklearn")
    cfg = write_json(in_tmp / "search.json", {**TINY, "search": search})
    assert main(["tune", cfg]) == 2
    err = capsys.readouterr().err
    assert f"config error at '{key}': " in err
    assert all(w in err for w in words)


# -- demo and bench -------------------------------------------------------------------------------
def test_demo_writes_the_run(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    out = tmp_path / "demo"
    done = run_cli("demo", "--epochs", "2", "--out", str(out), "--seed", "1")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "epoch 2/2" in text  # the progress bar's line per epoch (not a terminal here)
    run = out / "version_0"
    acc = float(text.split("test accuracy: ")[1].split()[0])
    assert 0.5 < acc <= 1.0
    for name in ("metrics.csv", "loss_curves.png", "confusion_matrix.png", "hparams.json"):
        assert (run / name).is_file() and name in text
    best = list((run / "checkpoints").glob("best-*.ckpt"))
    assert len(best) == 1 and best[0].name in text
    assert (run / "checkpoints" / "last.ckpt").is_file()
    if os.path.exists(ROOT / "ember" / "train" / "loggers" / "tensorboard.py"):
        assert list(run.glob("events.out.tfevents.*"))
    assert (run / "loss_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_rejects_bad_epochs(capsys):
    assert main(["demo", "--epochs", "0"]) == 2
    assert "--epochs must be >= 1" in capsys.readouterr().err


def test_bench_quick_tiny(tmp_path, capfd):
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        pytest.skip("no benchmarks/ folder in this checkout")
    report = tmp_path / "results.json"
    assert main(["bench", "--quick", "--no-memory", "--json", str(report), "tiny"]) == 0
    rows = json.loads(report.read_text())["rows"]
    assert len(rows) == 1
    assert "tiny" in capfd.readouterr().out


def test_bench_passes_the_suite_exit_code(capfd):
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        pytest.skip("no benchmarks/ folder in this checkout")
    assert main(["bench", "no_such_workload"]) == 2
    assert "unknown workload" in capfd.readouterr().err


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples" / "configs").glob("*.*")), ids=lambda p: p.name
)
def test_example_configs_build(path, tmp_path):
    from ember._cli import experiment, tune

    pytest.importorskip("sklearn")
    if path.suffix != ".json":
        pytest.importorskip("yaml")
    config = load_config(str(path))
    exp = experiment.build({k: v for k, v in config.items() if k != "search"}, str(tmp_path))
    assert exp.trainer.max_epochs >= 1 and exp.train_loader is not None
    if "search" in config:
        assert tune.parse_space(config["search"]["space"])
