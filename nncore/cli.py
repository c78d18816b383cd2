"""Command line: ``nncore train``, ``nncore gradcheck``, ``nncore doctor``, ``nncore datasets``.

For scripted experiments and grading. Flags build the same specs the GUI edits; given a
project file, flags override only what they name. Exit codes: 0 success, 1 the run failed
(non-finite loss, gradient check above threshold, doctor found problems), 2 bad input
(one line on stderr, never a traceback). All printing of the core happens here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from nncore import __version__, cli_sweep
from nncore.cli_animate import add_animate_flags, cmd_animate
from nncore.cli_data import add_import_flags, add_inspect_parser, apply_import_flags, cmd_inspect
from nncore.errors import NNCoreError, SpecError
from nncore.spec import (
    AUTO,
    DataSpec,
    NetworkSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainingSpec,
    mlp_spec,
    to_dict,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad flag or value: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line, not usage + error
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- flags


def _add_model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", help="a .bplab project (or lesson .json) to start from")
    data = p.add_argument_group("data")
    data.add_argument("--data", help="built-in name (spirals, mnist, iris, ...; options as "
                      "spirals:turns=3,noise=0.1,n=1000) or a CSV/NPZ/IDX file")
    data.add_argument("--target", help="target column of a CSV file (name or index)")
    data.add_argument("--normalize", choices=["auto", "none", "standard", "minmax"])
    data.add_argument("--val-split", type=float, help="fraction held out for validation")
    data.add_argument("--test-split", type=float, help="fraction held out for testing")
    data.add_argument("--features", help="extra inputs, e.g. x1^2,x2^2,x1*x2,sin(x1),sin(x2)")
    data.add_argument("--standardize-target", action="store_true", default=None,
                      help="regression: train on the standardised target (metrics and "
                      "predictions stay in its units)")
    add_import_flags(data)
    net = p.add_argument_group("network")
    net.add_argument("--hidden", help="hidden layer widths, e.g. 16,16 (empty for none)")
    net.add_argument("--activation", help="hidden activation (tanh, relu, ...)")
    net.add_argument("--output-activation", help="output activation (default: auto)")
    net.add_argument("--init", help="weight initialiser (glorot_uniform, he_normal, zeros, ...)")
    net.add_argument("--l1", type=float, help="L1 penalty on every Dense layer")
    net.add_argument("--l2", type=float, help="L2 penalty on every Dense layer")
    net.add_argument("--dropout", type=float, help="dropout rate after each hidden layer")
    tr = p.add_argument_group("training")
    tr.add_argument("--loss", help="mse, mae, huber, bce, cross_entropy (default: auto)")
    tr.add_argument("--optimizer", help="sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw")
    tr.add_argument("--lr", type=float, help="learning rate")
    tr.add_argument("--momentum", type=float)
    tr.add_argument("--weight-decay", type=float)
    tr.add_argument("--clip-norm", type=float, help="clip the gradient's global norm")
    tr.add_argument("--schedule", help="constant, step, exponential, cosine")
    tr.add_argument("--warmup", type=float, help="warm-up epochs")
    tr.add_argument("--batch", help="batch size, or 'full' for full-batch gradient descent")
    tr.add_argument("--epochs", type=int)
    tr.add_argument("--seed", type=int)
    tr.add_argument("--early-stopping", type=int, metavar="PATIENCE")
    tr.add_argument("--dtype", choices=["float32", "float64"])
    tr.add_argument("--bug", action="append", default=None,
                    help="inject a classic bug on purpose (lessons): see nncore.bugs")


def _int_list(text: str, flag: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{flag} expects whole numbers separated by commas, got {text!r}") \
            from None


def _batch(text: str) -> int | None:
    if text.lower() in ("full", "none", "all"):
        return None
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"--batch expects a whole number or 'full', got {text!r}") from None


def _network_from_flags(args: argparse.Namespace, base: NetworkSpec | None) -> NetworkSpec:
    flags = ("hidden", "activation", "output_activation", "init", "l2", "dropout")
    if base is not None and all(getattr(args, f) is None for f in flags) and args.l1 is None:
        return base
    hidden = _int_list(args.hidden, "--hidden") if args.hidden is not None else [16, 16]
    spec = mlp_spec(hidden, args.activation or "tanh",
                    output_activation=args.output_activation or AUTO,
                    init=args.init or "glorot_uniform", l2=args.l2 or 0.0,
                    dropout=args.dropout or 0.0)
    if args.l1:
        spec = NetworkSpec(tuple(dataclasses.replace(layer, l1=args.l1)
                                 if layer.kind == "dense" else layer for layer in spec.layers))
    return spec


def _training_from_flags(args: argparse.Namespace, base: TrainingSpec) -> TrainingSpec:
    opt = base.optimizer
    opt_changes = {k: v for k, v in (("name", args.optimizer), ("lr", args.lr),
                                     ("momentum", args.momentum),
                                     ("weight_decay", args.weight_decay),
                                     ("clip_norm", args.clip_norm)) if v is not None}
    sched = base.schedule
    sched_changes = {k: v for k, v in (("name", args.schedule), ("warmup_epochs", args.warmup))
                     if v is not None}
    changes: dict[str, Any] = {
        "optimizer": dataclasses.replace(opt, **opt_changes),
        "schedule": dataclasses.replace(sched, **sched_changes)}
    for flag, field in (("loss", "loss"), ("epochs", "epochs"), ("seed", "seed"),
                        ("early_stopping", "early_stopping"), ("dtype", "dtype")):
        if getattr(args, flag) is not None:
            changes[field] = getattr(args, flag)
    if args.batch is not None:
        changes["batch_size"] = _batch(args.batch)
    if args.bug:
        changes["bugs"] = tuple(args.bug)
    return dataclasses.replace(base, **changes)


def _data_from_flags(args: argparse.Namespace, base: DataSpec | None) -> DataSpec:
    from nncore.data import parse_data_arg

    if args.data is not None:
        spec = parse_data_arg(args.data, target=args.target, normalize=args.normalize,
                              val_split=args.val_split)
        spec = apply_import_flags(args, spec, new_file=True)
    else:
        spec = base or DataSpec()
        changes = {k: v for k, v in (("target", args.target), ("normalize", args.normalize),
                                     ("val_split", args.val_split)) if v is not None}
        spec = apply_import_flags(args, dataclasses.replace(spec, **changes), new_file=False)
    if args.test_split is not None:
        spec = dataclasses.replace(spec, test_split=args.test_split)
    if getattr(args, "standardize_target", None):
        spec = dataclasses.replace(spec, standardize_target=True)
    if args.features is not None:
        spec = dataclasses.replace(spec, features=tuple(
            f.strip() for f in args.features.split(",") if f.strip()))
    return spec


def specs_from_args(args: argparse.Namespace):
    """(project or None, network, training, data) from the flags and optional project."""
    project = None
    if args.project:
        from nncore.project import load_project

        project = load_project(args.project)
    base_training = project.training if project else TrainingSpec(
        optimizer=OptimizerSpec(), schedule=ScheduleSpec())
    network = _network_from_flags(args, project.network if project else None)
    training = _training_from_flags(args, base_training)
    data = _data_from_flags(args, project.data if project else None)
    return project, network, training, data


def make_session(args: argparse.Namespace):
    """A ``Session`` (continuing the project's weights when the design is unchanged)."""
    from nncore.session import Session, session_from_project

    project, network, training, data = specs_from_args(args)
    if project is not None and project.network == network and project.data == data \
            and project.training.loss == training.loss and project.weights:
        return session_from_project(dataclasses.replace(project, training=training))
    return Session(network, training, data)


# --------------------------------------------------------------------------- output


def _finite_or_none(value: float) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _metric_key(metric: str) -> str:
    return "r2" if metric == "r2" else "accuracy"


def _epoch_entry(record, metric: str) -> dict[str, Any]:
    key = _metric_key(metric)
    return {"epoch": record.epoch, "step": record.step,
            "train_loss": _finite_or_none(record.train_loss),
            "val_loss": _finite_or_none(record.val_loss),
            f"train_{key}": _finite_or_none(record.train_metric),
            f"val_{key}": _finite_or_none(record.val_metric),
            "lr": record.lr, "seconds": round(record.seconds, 4)}


def _test_scores(session) -> dict[str, Any]:
    from nncore.session import encode_targets_for

    splits = session.splits
    if splits.x_test is None or len(splits.x_test) == 0:
        return {}
    t = encode_targets_for(splits, session.resolved, splits.y_test, session.dtype)
    labels = None if splits.info.task == "regression" else splits.y_test
    loss, metric = session.trainer.evaluate(splits.x_test.astype(session.dtype), t, labels)
    key = _metric_key(session.trainer.data.metric_name)
    return {"test_loss": _finite_or_none(loss), f"test_{key}": _finite_or_none(metric)}


def build_report(session, findings: Sequence[Any] = ()) -> dict[str, Any]:
    """The JSON report of a finished session (see ``docs/cli.md``)."""
    trainer = session.trainer
    metric = trainer.data.metric_name
    last = trainer.history.last
    final = {k: v for k, v in _epoch_entry(last, metric).items()
             if k.startswith(("train_", "val_"))} if last else {}
    final.update(_test_scores(session))
    return {
        "final": final, "epochs": trainer.epoch, "steps": trainer.step,
        "seconds": round(trainer.elapsed, 4),
        "stop_reason": trainer.stop_reason.value if trainer.stop_reason else None,
        "message": trainer.message,
        "history": [_epoch_entry(r, metric) for r in trainer.history.records],
        "findings": [_finding_dict(f) for f in findings],
        "network": to_dict(session.network_spec), "training": to_dict(session.training_spec),
        "data": to_dict(session.data_spec) if session.data_spec else None,
        "resolved": dataclasses.asdict(session.resolved),
    }


def _finding_dict(finding: Any) -> dict[str, Any]:
    return finding.to_dict() if hasattr(finding, "to_dict") else dict(finding)


def _progress_line(record, metric: str, epochs: int) -> str:
    text = f"epoch {record.epoch:>{len(str(epochs))}}/{epochs}  loss {record.train_loss:.4g}"
    if math.isfinite(record.val_loss):
        text += f"  val {record.val_loss:.4g}"
    if metric == "r2":
        text += f"  R² {record.train_metric:.4f}"
        if math.isfinite(record.val_metric):
            text += f"  val R² {record.val_metric:.4f}"
    else:
        text += f"  acc {record.train_metric:.2%}"
        if math.isfinite(record.val_metric):
            text += f"  val {record.val_metric:.2%}"
    return text + f"  ({record.seconds:.1f} s)"


def _write_json(path: str, document: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(document, indent=2, allow_nan=False) + "\n",
                          encoding="utf-8")


# --------------------------------------------------------------------------- commands


def cmd_train(args: argparse.Namespace) -> int:
    """Train and optionally write a report and the trained project."""
    from nncore.session import session_to_project
    from nncore.training import Callback, StopReason

    session = make_session(args)
    trainer = session.trainer
    every = max(1, trainer.epochs // 20) if args.every is None else max(1, args.every)

    class Progress(Callback):
        def on_epoch_end(self, tr, record):
            if not args.quiet and (record.epoch % every == 0 or record.epoch == tr.epochs):
                print(_progress_line(record, tr.data.metric_name, tr.epochs), flush=True)

    if not args.quiet:
        print(f"{session.splits.info.name}: {session.splits.x_train.shape[0]} training / "
              f"{session.splits.x_val.shape[0]} validation samples; "
              f"{session.network.n_parameters} parameters; loss {session.resolved.loss}")
        for note in session.splits.info.notes:
            print(f"note: {note}")
    trainer.run([Progress()])
    findings = _run_doctor(session) if args.report else []
    report = build_report(session, findings)
    if not args.quiet:
        print(f"{trainer.stop_reason.value}: {trainer.message}; "
              + ", ".join(f"{k} {v:.4g}" for k, v in report["final"].items() if v is not None))
    if args.report:
        _write_json(args.report, report)
    if args.output:
        from nncore.project import save_project

        save_project(session_to_project(session), args.output)
    return EXIT_FAILED if trainer.stop_reason is StopReason.NON_FINITE else EXIT_OK


def _run_doctor(session) -> list[Any]:
    try:
        from nncore.doctor import examine_session
    except ImportError:  # the doctor is optional for reports
        return []
    return list(examine_session(session))


def cmd_gradcheck(args: argparse.Namespace) -> int:
    """Print the relative error per parameter tensor; non-zero exit above the threshold."""
    session = make_session(args)
    result = session.gradient_check(batch_size=args.samples, seed=args.check_seed,
                                    max_entries=args.max_entries, threshold=args.threshold)
    width = max(len(t.name) for t in result.tensors)
    print(f"{'tensor':<{width}}  {'shape':>12}  {'checked':>7}  relative error")
    for t in result.tensors:
        status = "ok" if result.tensor_passed(t) else "FAILED"
        print(f"{t.name:<{width}}  {t.shape!s:>12}  {t.checked:>7}  "
              f"{t.relative_error:.3e}  {status}")
    passed = result.passed
    print(f"{'passed' if passed else 'FAILED'} (threshold {args.threshold:g}, loss "
          f"{result.loss:.6g}, float64 central differences)")
    return EXIT_OK if passed else EXIT_FAILED


def cmd_doctor(args: argparse.Namespace) -> int:
    """Static checks, a short trial training and a gradient check; exit 1 on a problem."""
    from nncore.doctor import examine_session, trial_epochs_for

    try:
        session = make_session(args)
    except SpecError as error:
        return _doctor_unbuildable_design(args, error)
    trained = len(session.trainer.history) > 0 and args.trial_epochs is None
    epochs = args.trial_epochs or trial_epochs_for(session)
    findings = examine_session(session, args.trial_epochs)
    what = (f"its {len(session.trainer.history)} trained epochs" if trained
            else f"a {epochs}-epoch trial training")
    print(f"Doctor: {session.splits.info.name}, {session.network.n_parameters} parameters; "
          f"checked the design, the data, {what} and the gradient")
    for severity, heading in (("problem", "PROBLEMS"), ("warning", "WARNINGS"),
                              ("info", "NOTES")):
        group = [f for f in findings if f.severity == severity]
        if group:
            print(f"\n{heading}")
        for finding in group:
            print(_finding_text(finding))
    counts = {s: sum(f.severity == s for f in findings) for s in ("problem", "warning", "info")}
    print(f"\n{counts['problem']} problem(s), {counts['warning']} warning(s), "
          f"{counts['info']} note(s)" if findings else "\nNo findings: nothing looks wrong.")
    if args.json:
        _write_json(args.json, {"findings": [_finding_dict(f) for f in findings],
                                "trial_epochs": None if trained else epochs})
    return EXIT_FAILED if counts["problem"] else EXIT_OK


def _doctor_unbuildable_design(args: argparse.Namespace, error: Exception) -> int:
    """A design the engine refuses to build (e.g. a loss that cannot go with the output):
    report the doctor's design findings, with their fixes, instead of the bare spec error
    when the doctor has one for it; otherwise the spec error stands."""
    from nncore.data import load_dataset, prepare
    from nncore.doctor.design import examine_design

    _, network, training, data = specs_from_args(args)
    splits = prepare(load_dataset(data), data)
    findings = [f for f in examine_design(network, training, data, splits)
                if f.severity == "problem"]
    if not findings:
        raise error
    print(f"Doctor: {splits.info.name}; the design cannot be trained as it is")
    print("\nPROBLEMS")
    for finding in findings:
        print(_finding_text(finding))
    print(f"\n{len(findings)} problem(s), 0 warning(s), 0 note(s)")
    if args.json:
        _write_json(args.json, {"findings": [_finding_dict(f) for f in findings],
                                "trial_epochs": None})
    return EXIT_FAILED


def _finding_text(finding: Any) -> str:
    layer = f" [{finding.layer}]" if finding.layer else ""
    lines = [f"  {finding.code}{layer}: {finding.message}"]
    numbers = ", ".join(f"{k}={_short(v)}" for k, v in finding.evidence.items())
    if numbers:
        lines.append(f"      evidence: {numbers}")
    if finding.fix is not None:
        lines.append(f"      fix: {finding.fix.description}")
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def cmd_datasets(args: argparse.Namespace) -> int:
    """List the built-in data sets and their options."""
    from nncore.data import BUILTIN

    for name, info in BUILTIN.items():
        options = ", ".join(f"{o.name}={o.default}" for o in info.options)
        print(f"{name:<16} {info.task:<11} {info.description}" +
              (f"  [{options}]" if options else ""))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """One training step of backprop, number by number (``nncore.cli_explain``)."""
    from nncore.cli_explain import run

    return run(args)


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "train": (cmd_train, "train a network and report"),
    "gradcheck": (cmd_gradcheck, "check backprop against finite differences"),
    "doctor": (cmd_doctor, "say why a network is not learning (checks, trial, gradient)"),
    "datasets": (cmd_datasets, "list the built-in data sets"),
    "explain": (cmd_explain,
                "explain one training step of backprop, number by number (float64)"),
    "animate": (cmd_animate, "draw a trained project's snapshots as an animated GIF"),
    "sweep": (cli_sweep.cmd_sweep, cli_sweep.HELP),
    "inspect": (cmd_inspect, "show how a CSV/XLSX file would be imported (dry run)"),
}


def make_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands from ``COMMANDS``)."""
    parser = _Parser(prog="nncore", description="Backprop Lab's NumPy engine, headless.")
    parser.add_argument("--version", action="version", version=f"nncore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (_, help_text) in COMMANDS.items():
        if name == "inspect":
            add_inspect_parser(sub)
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == "datasets":
            continue
        if name == "animate":
            add_animate_flags(p)
            continue
        _add_model_flags(p)
        if name == "train":
            p.add_argument("--report", metavar="FILE.json", help="write a JSON report")
            p.add_argument("-o", "--output", metavar="PROJECT", help="save the trained project")
            p.add_argument("--every", type=int, help="print every N epochs")
            p.add_argument("-q", "--quiet", action="store_true")
        elif name == "gradcheck":
            p.add_argument("--threshold", type=float, default=1e-6)
            p.add_argument("--samples", type=int, default=16, help="batch size of the check")
            p.add_argument("--max-entries", type=int, default=40,
                           help="entries checked per tensor (random subset if larger)")
            p.add_argument("--check-seed", type=int, default=0)
        elif name == "doctor":
            p.add_argument("--trial-epochs", type=int, default=None)
            p.add_argument("--json", metavar="FILE.json", help="write the findings as JSON")
        elif name == "explain":
            from nncore.cli_explain import add_flags
            add_flags(p)
        elif name == "sweep":
            cli_sweep.add_arguments(p)
    from nncore.cli_teach import TEACH_COMMANDS  # grade, report, export

    for name, (run, help_text, setup) in TEACH_COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        setup(p)
        p.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nncore`` / ``python -m nncore``."""
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
        return (getattr(args, "run", None) or COMMANDS[args.command][0])(args)
    except BrokenPipeError:
        # the reader went away (e.g. `nncore datasets | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except UsageError as err:
        print(f"nncore: error: {err}", file=sys.stderr)
    except (NNCoreError, ValueError, OSError) as err:
        print(f"nncore: error: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("nncore: interrupted", file=sys.stderr)
        return 130
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
