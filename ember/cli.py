"""The ``ember`` command: ``demo``, ``train``, ``tune``, ``summary``, ``bench``, ``--version``.

Run ``ember <command> --help`` for each command's options. A bad config or argument prints
one line naming the problem (``config error at 'optimizer.name': ...``) and exits with code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ember._cli.config import CLIError, ConfigError, load_config, parse_value, split_override


def _version() -> str:
    from ember import __version__

    return __version__


# -- commands -------------------------------------------------------------------------------------
def _cmd_demo(args) -> int:
    from ember.demo import run_demo

    if args.epochs < 1:
        raise CLIError(f"--epochs must be >= 1, got {args.epochs}")
    result = run_demo(out=args.out, epochs=args.epochs, seed=args.seed)
    print(
        f"\ntest accuracy: {result['test_acc']:.4f} (best checkpoint, "
        f"{result['epochs']} epochs trained)"
    )
    print(f"wrote {result['run_dir']}{os.sep}")
    for path in result["files"]:
        print(f"  {os.path.relpath(path, result['run_dir'])}")
    print(f"view the curves with: tensorboard --logdir {args.out}")
    return 0


def _config_from(args) -> tuple[dict, str]:
    from ember._cli.config import with_overrides

    config = with_overrides(load_config(args.config), args.overrides)
    return config, os.path.splitext(os.path.basename(args.config))[0]


def _cmd_train(args) -> int:
    from ember._cli.experiment import run_train

    config, name = _config_from(args)
    result = run_train(config, name)
    print(f"logs: {result['log_dir']}")
    if result["best_checkpoint"]:
        print(f"best checkpoint: {result['best_checkpoint']}")
    return 0


def _cmd_tune(args) -> int:
    from ember._cli.tune import run_tune

    config, name = _config_from(args)
    result = run_tune(config, name)
    print(f"\nbest config: {result.best_config}")
    if result.best_checkpoint:
        print(f"best checkpoint: {result.best_checkpoint}")
    print(f"all trials: {result.csv_path}")
    return 0


def _shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        dims = ()
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 1,1,8,8, got {text!r}")
    return dims


def _cmd_summary(args) -> int:
    from ember._cli import registry
    from ember.summary import summary

    factory = registry.lookup("model", args.model, registry.models(), "model")
    kwargs = dict(split_override(item) for item in args.kwargs)
    model = registry.construct(factory, kwargs, "model")
    if args.input_size is None:
        print(model)
        total = sum(p.numel() for p in model.parameters())
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        print(f"Total params: {total:,}\nTrainable params: {trainable:,}")
        print("(give --input-size N,C,H,W for output shapes, MACs and memory)")
        return 0
    try:
        summary(model, input_size=args.input_size, depth=args.depth)
    except (RuntimeError, ValueError) as exc:
        raise CLIError(f"{args.model} cannot run on input {args.input_size}: {exc}") from exc
    return 0


def _cmd_bench(argv: Sequence[str]) -> int:
    """``python -m benchmarks ARGS`` in a fresh process from the source checkout: the suite
    sets its BLAS thread count before NumPy is first imported, which is too late here."""
    import subprocess

    # the suite lives next to the package in a source checkout, not in the wheel
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(os.path.join(root, "benchmarks", "__main__.py")):
        raise CLIError(
            "ember bench needs a source checkout of ember (the benchmarks/ folder is not "
            "installed with the package)"
        )
    return subprocess.call([sys.executable, "-m", "benchmarks", *argv], cwd=root)


# -- parser ---------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ember", description="ember: deep learning on NumPy with PyTorch's API."
    )
    parser.add_argument("--version", action="version", version=f"ember {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="train a small CNN on the bundled 8x8 digits")
    demo.add_argument(
        "--out",
        default=os.path.join("runs", "demo"),
        help="parent folder of the run (default: runs/demo)",
    )
    demo.add_argument("--epochs", type=int, default=20, help="most epochs (default: 20)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")

    for name, text in (
        ("train", "train the model a YAML/JSON config describes"),
        ("tune", "hyperparameter search over a config's 'search' space"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("config", help="a .yaml/.yml (needs PyYAML) or .json config")
        cmd.add_argument(
            "overrides",
            nargs="*",
            metavar="KEY=VALUE",
            help="dotted config overrides, e.g. trainer.max_epochs=3 optimizer.lr=0.01",
        )

    summ = sub.add_parser("summary", help="layers, shapes and parameter counts of a zoo model")
    summ.add_argument("model", help="a name from ember.models, e.g. LeNet5 or resnet20")
    summ.add_argument("kwargs", nargs="*", metavar="KEY=VALUE", help="model arguments")
    summ.add_argument(
        "--input-size",
        type=_shape,
        default=None,
        help="input shape with the batch dimension, e.g. 1,1,28,28",
    )
    summ.add_argument("--depth", type=int, default=3, help="deepest nesting shown (default 3)")

    sub.add_parser(
        "bench",
        add_help=False,
        help="ember vs PyTorch timings: ember bench [--quick] [workload ...]",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ember`` command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "bench":  # the suite parses its own options
        handler, args = _cmd_bench, argv[1:]
    else:
        parser = _parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        handler = {
            "demo": _cmd_demo,
            "train": _cmd_train,
            "tune": _cmd_tune,
            "summary": _cmd_summary,
        }[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"ember {argv[0]}: {exc}", file=sys.stderr)
        return 2
    except CLIError as exc:
        print(f"ember {argv[0]}: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional dependency; the message names the extra
        print(f"ember {argv[0]}: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["main", "parse_value"]
