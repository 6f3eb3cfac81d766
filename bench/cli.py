"""`fundguard generate`: write a synthetic province (see docs/generator.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.generator import DEFAULT_RATES, RULES, Config, generate


def _rate(text: str) -> tuple[str, float]:
    rule, sep, value = text.partition("=")
    if not sep or rule not in RULES:
        raise argparse.ArgumentTypeError(f"expected RULE=RATE with RULE one of {', '.join(RULES)}, got {text!r}")
    try:
        rate = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"rate must be a number, got {value!r}") from exc
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"rate must be between 0 and 1, got {value!r}")
    return rule, rate


def _run(args: argparse.Namespace) -> int:
    rates = {r: 0.0 for r in RULES} if args.clean else dict(DEFAULT_RATES)
    rates = {r: v * args.rate_scale for r, v in rates.items()}
    rates.update(dict(args.rate or []))
    rates = {r: min(v, 1.0) for r, v in rates.items()}
    cfg = Config(seed=args.seed, institutions=args.institutions, people=args.people, months=args.months,
                 start=args.start, rates=rates, fraud=not args.clean and not args.no_fraud,
                 chunk_people=args.chunk_people, national=args.national, sample_3101=args.sample_3101,
                 progress=not args.quiet)
    manifest = generate(cfg, Path(args.out))
    t = manifest["totals"]
    print(f"{t['patients']} patients, {t['encounters']} encounters, {t['lines']} fee lines "
          f"({t['amount']} yuan) written to {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("generate", help="write a synthetic province with known violations")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--institutions", type=int, default=40)
    p.add_argument("--people", type=int, default=10_000)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--start", default="2026-01-01", help="first day of the period (YYYY-MM-DD)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--rate", type=_rate, action="append", metavar="RULE=RATE",
                   help="injection rate for one rule (repeatable); see docs/generator.md for the units")
    p.add_argument("--rate-scale", type=float, default=1.0, help="multiply every default rate")
    p.add_argument("--clean", action="store_true", help="no injected violations and no fraudulent actors")
    p.add_argument("--no-fraud", action="store_true", help="rate-driven violations only, no fraud scenarios")
    p.add_argument("--national", choices=("all", "sample", "none"), default="all",
                   help="national request files: all (2204, 2207 and 3101 sample), sample (3101 only), none")
    p.add_argument("--sample-3101", type=int, default=200, help="how many 3101 requests to write")
    p.add_argument("--chunk-people", type=int, default=5_000, help="patients per Parquet part (memory bound)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(fn=_run)
