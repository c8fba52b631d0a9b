"""Does anomaly detection find the demo data's planted incidents, and what else does it report?

    .venv/bin/python evals/check_incidents.py --home DIR --incidents DIR/demo-data/incidents.json [--days 90]

Runs `find_anomalies` over the whole range (as_of = the data set's end) and, for
each incident in incidents.json, prints whether an anomaly found it: one that
overlaps the incident's dates, whose metric belongs to the incident metric's
family, and whose value or one of whose root causes names the incident's value.
Then the anomalies that match no incident. Recall is given over all incidents
and over those a daily series can show (the budget breach is a month-to-date
figure against a cap, not a change in a series).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.analysis.anomalies import Anomaly, find_anomalies  # noqa: E402
from warehouse.executor import Executor  # noqa: E402
from warehouse.settings import load_settings  # noqa: E402

# Incident metric -> the anomaly metrics that can show it. The AI vendors' invoice
# lines in billing are the same dollars as llm_requests' cost, and a retry storm
# shows in errors, in request counts and in what the retries cost.
# Unit costs (cost per request, tokens per request, cost per 1M tokens) are inference cost per unit.
UNIT_COSTS = {"cost_per_request", "tokens_per_request", "cost_per_mtok"}
FAMILIES = {
    "cost": {"cost"},
    "inference_cost": {"inference_cost", "cost"} | UNIT_COSTS,
    "retry_cost": {"error_rate", "requests", "inference_cost", "cost"} | UNIT_COSTS,
    "idle_gpu_cost": {"idle_gpu_cost", "gpu_cost"},
    "gpu_cost": {"gpu_cost", "idle_gpu_cost", "cost"},
}


def matches(anomaly: Anomaly, incident: dict) -> bool:
    """Whether `anomaly` reports `incident`: overlapping dates, right metric family, value named."""
    start, end = date.fromisoformat(incident["start"]), date.fromisoformat(incident["end"])
    if anomaly.start >= end or anomaly.end <= start:
        return False
    if anomaly.metric not in FAMILIES.get(incident["metric"], {incident["metric"]}):
        return False
    wanted = incident["value"].lower()
    named = [anomaly.value] + [cause.value for cause in anomaly.root_causes]
    return any(value is not None and value.lower() == wanted for value in named)


def describe(anomaly: Anomaly) -> str:
    end = anomaly.end.toordinal() - anomaly.start.toordinal()
    return (f"{anomaly.metric} {anomaly.dimension}={anomaly.value} {anomaly.kind} from {anomaly.start} "
            f"({end} d) impact ${anomaly.impact_usd:,.2f} ({anomaly.impact_pct:+.0f}%) score {anomaly.score:g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="FINOPS_HOME of the loaded demo warehouse")
    parser.add_argument("--incidents", type=Path, required=True, help="the demo data's incidents.json")
    parser.add_argument("--days", type=int, default=90, help="days before the data's end to report on")
    args = parser.parse_args(argv)
    planted = json.loads(args.incidents.read_text())
    as_of = date.fromisoformat(planted["end"])
    settings = load_settings(environ={"FINOPS_HOME": str(args.home)}, config_path=None)
    with Executor(settings) as executor:
        anomalies = find_anomalies(executor, settings, as_of=as_of, days=args.days)
    incidents = planted["incidents"]
    print(f"seed {planted['seed']}, data {planted['start']} to {planted['end']} (exclusive), "
          f"{len(anomalies)} anomalies over the last {args.days} days")
    found = {}
    for incident in incidents:
        hits = [a for a in anomalies if matches(a, incident)]
        found[incident["id"]] = bool(hits)
        status = "FOUND " if hits else "MISSED"
        print(f"  {status} {incident['id']:<20} {incident['metric']} {incident['dimension']}={incident['value']} "
              f"{incident['start']}..{incident['end']}" + (f"\n           by {describe(hits[0])}" if hits else ""))
    unmatched = [a for a in anomalies if not any(matches(a, incident) for incident in incidents)]
    series = [i for i in incidents if i["table"] != "budgets"]
    print(f"recall: {sum(found.values())}/{len(incidents)} incidents; "
          f"{sum(found[i['id']] for i in series)}/{len(series)} of those a daily series shows")
    print(f"unmatched anomalies: {len(unmatched)}")
    for anomaly in unmatched:
        print(f"  {describe(anomaly)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
