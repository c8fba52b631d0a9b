"""Score the blind question sets on their own fixture companies: correct, refused and wrong apart.

    .venv/bin/python evals/score_blind.py [--set blind-ai ...] [--route planner] [--json]

Each set is written by someone who never saw the planner, over a company it was
never tuned on (`evals/companies/`). `blind-final` is never inspected: print its
counts, never its misses (`--misses` is refused for it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.quality.evaluation import format_report, load_set, run_eval  # noqa: E402
from evals.companies.warehouse import BLIND_SETS, NEVER_INSPECTED, build_company, company_of  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", choices=BLIND_SETS, help="a blind set (default: all)")
    parser.add_argument("--route", default="planner")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="print the misses (not for the never-inspected set)")
    args = parser.parse_args()
    summaries = {}
    for name in args.set or BLIND_SETS:
        with tempfile.TemporaryDirectory() as root:
            started = time.perf_counter()
            settings = build_company(name, Path(root))
            report = run_eval(load_set(name), settings, route=args.route, as_of=company_of(name).AS_OF, name=name)
            summary = report.summary()
            summaries[name] = {"outcomes": summary["outcomes"], "accuracy": summary["accuracy"]}
            if args.json:
                continue
            text = format_report(report)
            if name == NEVER_INSPECTED or not args.misses:
                text = text.split("\nmisses by reason:")[0].rstrip()
            print(text)
            print(f"({time.perf_counter() - started:.1f} s)\n")
    if args.json:
        print(json.dumps(summaries, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
