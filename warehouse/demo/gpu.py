"""`gpu_usage`: one row per GPU node and hour of the self-hosted fleet.

Utilization follows each deployment's daily cycle (serving peaks in US
afternoons, batch embedding at night, lighter weekends). Serving nodes hold ~90%
of GPU memory whatever their load, as vLLM pre-allocates its KV cache. From the
idle-GPU incident on, two batch nodes (an A100 and an L4) run with no deployment
at ~1% and the staging H100 node serves a forgotten canary at 3-8%; they cost
the same as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from warehouse.demo.catalog import (
    GPU_NODES,
    IDLE_CANARY_DEPLOYMENT,
    IDLE_CANARY_NODE,
    IDLE_UNALLOCATED_NODES,
)
from warehouse.demo.incidents import IncidentSchedule
from warehouse.demo.schema import TABLES, arrow_schema

SCHEMA = arrow_schema(TABLES["gpu_usage"])
_HOURS = np.arange(24)
_NODE_IDS = [node.node_id for node in GPU_NODES]
_UNALLOCATED = np.isin(_NODE_IDS, IDLE_UNALLOCATED_NODES)
_CANARY = np.array([node_id == IDLE_CANARY_NODE for node_id in _NODE_IDS])
_HOURLY = np.array([node.hourly_usd for node in GPU_NODES])


@dataclass(frozen=True)
class GpuDay:
    """One day of `gpu_usage` rows and what billing and the estimates need from it."""

    table: pa.Table
    node_cost: np.ndarray  # USD per node (GPU_NODES order)
    team_cost: dict[str, float]
    idle_gpu_usd: float  # idle cost added by the incident this day


def generate_gpu_day(day: date, index: int, schedule: IncidentSchedule, seed: int) -> GpuDay:
    """The 24 hourly rows of every node for `day`."""
    rng = np.random.default_rng([seed, 3, index])
    nodes = len(GPU_NODES)
    mean = np.array([node.util_mean for node in GPU_NODES])[:, None]
    swing = np.array([node.util_swing for node in GPU_NODES])[:, None]
    peak = np.array([node.peak_hour_utc for node in GPU_NODES])[:, None]
    weekend = day.weekday() >= 5
    serving = np.array([node.deployment.startswith("llama") for node in GPU_NODES])[:, None]
    cycle = swing * np.cos(2 * np.pi * (_HOURS[None, :] - peak) / 24)
    baseline = mean + cycle - 9.0 * (weekend & serving) + rng.normal(0, 4.0, (nodes, 24))
    baseline = np.clip(baseline, 2.0, 99.0)
    memory: np.ndarray = np.array([node.mem_util for node in GPU_NODES])[:, None] + rng.normal(0, 1.5, (nodes, 24))

    util = baseline.copy()
    deployments: list[str | None] = [node.deployment for node in GPU_NODES]
    if day >= schedule.idle_gpu:
        util[_UNALLOCATED] = rng.uniform(0.2, 1.8, (int(_UNALLOCATED.sum()), 24))
        memory[_UNALLOCATED] = rng.uniform(0.3, 1.5, (int(_UNALLOCATED.sum()), 24))
        util[_CANARY] = rng.uniform(3.0, 8.0, (int(_CANARY.sum()), 24))
        deployments = [None if unallocated else IDLE_CANARY_DEPLOYMENT if canary else name
                       for name, unallocated, canary in zip(deployments, _UNALLOCATED, _CANARY)]
    util = np.round(util, 1)
    memory = np.round(np.clip(memory, 0.0, 99.5), 1)
    cost = np.repeat(_HOURLY[:, None], 24, axis=1)
    idle_extra = float((cost * (baseline - util)).sum() / 100) if day >= schedule.idle_gpu else 0.0

    midnight = datetime.combine(day, datetime.min.time())
    hours = [midnight + timedelta(hours=int(h)) for h in _HOURS]
    columns = {
        "hour": pa.array(hours * nodes, type=pa.timestamp("us")),
        "cluster": pa.array([node.cluster for node in GPU_NODES for _ in _HOURS]),
        "node_id": pa.array([node.node_id for node in GPU_NODES for _ in _HOURS]),
        "gpu_type": pa.array([node.gpu_type for node in GPU_NODES for _ in _HOURS]),
        "gpu_count": pa.array([node.gpu_count for node in GPU_NODES for _ in _HOURS], type=pa.int32()),
        "cost_usd": pa.array(cost.ravel(), type=pa.float64()),
        "gpu_util_pct": pa.array(util.ravel(), type=pa.float64()),
        "deployment": pa.array([name for name in deployments for _ in _HOURS], type=pa.string()),
        "team": pa.array([node.team for node in GPU_NODES for _ in _HOURS]),
        "gpu_mem_util_pct": pa.array(memory.ravel(), type=pa.float64()),
        "model": pa.nulls(len(GPU_NODES) * len(_HOURS), pa.string()),  # optional; the demo does not name it
    }
    team_cost: dict[str, float] = {}
    for node, node_cost in zip(GPU_NODES, cost.sum(axis=1)):
        team_cost[node.team] = team_cost.get(node.team, 0.0) + float(node_cost)
    table = pa.Table.from_arrays([columns[name] for name in SCHEMA.names], schema=SCHEMA)
    return GpuDay(table=table, node_cost=cost.sum(axis=1), team_cost=team_cost, idle_gpu_usd=idle_extra)
