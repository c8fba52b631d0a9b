"""`billing`: one day of FOCUS 1.2 charge lines for Acme AI.

- AI API vendors (OpenAI, Anthropic): one line per model, feature and
  environment; EffectiveCost equals the day's `llm_requests` cost of those rows,
  NULL-cost rows priced in. Dev traffic runs in an untagged default project.
- GPU nodes: one EC2 line per node whose EffectiveCost equals its `gpu_usage`
  cost. The H100 nodes are covered by a Savings Plan (BilledCost 0, amortized
  EffectiveCost) whose recurring fee is a separate Purchase line (EffectiveCost 0).
- Everything else comes from `cloud.USAGE_LINES`, plus a monthly promotional
  credit and a daily sales-tax line on the GCP account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Required, TypedDict

import numpy as np
import pyarrow as pa

from warehouse.demo.catalog import ENVIRONMENTS, FEATURES, GPU_NODES, MODELS
from warehouse.demo.cloud import (
    COMMITMENTS,
    GCP_TAX_RATE,
    INCIDENT_LINES,
    MONTHLY_CREDIT_USD,
    UsageLine,
    UsageQuantity,
    usage_quantities,
)
from warehouse.demo.focus import AWS_DATA, AWS_ML, GCP_ANALYTICS, charge_line, vendor_account
from warehouse.demo.incidents import IncidentSchedule
from warehouse.demo.schema import TABLES, arrow_schema

SCHEMA = arrow_schema(TABLES["billing"])
SP_GPU = "arn:aws:savingsplans::310958442817:savingsplan/3f9d7c10-gpu"
SP_GPU_NAME = "Compute Savings Plan (3yr, p5 fleet)"
_REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)", "us": "United States"}
_VENDORS = {"openai": "OpenAI API", "anthropic": "Claude API"}
_ARN_SERVICES = {
    "Amazon Simple Storage Service": "s3",
    "Amazon Relational Database Service": "rds",
    "Amazon ElastiCache": "elasticache",
    "Amazon OpenSearch Service": "es",
}


@dataclass(frozen=True)
class BillingDay:
    """One day of charge lines, their EffectiveCost by ServiceName and incident cost deltas."""

    table: pa.Table
    service_cost: dict[str, float]
    impacts: dict[str, float]


def _code(*parts: str, length: int = 10) -> str:
    """A stable upper-case code for SKU and resource ids."""
    return hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest().upper()[:length]


class _Sku(TypedDict):
    """The SKU columns of a charge line."""

    SkuId: str
    SkuPriceId: str
    SkuMeter: str


class _Pricing(TypedDict, total=False):
    """The pricing category of a charge line and, for committed usage, its commitment columns."""

    PricingCategory: Required[str]
    CommitmentDiscountId: str
    CommitmentDiscountName: str
    CommitmentDiscountCategory: str
    CommitmentDiscountType: str
    CommitmentDiscountStatus: str


def _sku(sku: str, provider: str) -> _Sku:
    sku_id = _code(provider, sku)
    return {"SkuId": sku_id, "SkuPriceId": f"{sku_id}.{_code(sku, 'price', length=6)}", "SkuMeter": sku}


def _commitment_fields(commitment: str, name: str, category: str, kind: str) -> _Pricing:
    return {
        "PricingCategory": "Committed",
        "CommitmentDiscountId": commitment,
        "CommitmentDiscountName": name,
        "CommitmentDiscountCategory": category,
        "CommitmentDiscountType": kind,
        "CommitmentDiscountStatus": "Used",
    }


def ai_vendor_lines(day: date, cost: np.ndarray, tokens: np.ndarray, requests: np.ndarray) -> list[dict]:
    """One line per (model, feature, environment) served by an invoicing vendor."""
    lines = []
    for f, m, e in zip(*np.nonzero(requests)):
        feature, model, environment = FEATURES[f], MODELS[m], ENVIRONMENTS[e]
        if model.provider not in _VENDORS:
            continue
        if environment == "dev":
            project_id, project_name = f"proj_{_code(model.provider, 'default', length=12).lower()}", "Default project"
            tags = {"environment": environment, "model": model.name}
        else:
            project_id = f"proj_{_code(model.provider, feature.team, length=12).lower()}"
            project_name = feature.team
            tags = {"team": feature.team, "feature": feature.name, "environment": environment, "model": model.name}
        amount = float(cost[f, m, e])
        token_count = float(tokens[f, m, e])
        lines.append(charge_line(
            day, vendor_account(model.provider, project_id, project_name), billed=amount,
            ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI",
            ServiceName=_VENDORS[model.provider],
            ChargeDescription=f"{model.name} {model.operation} tokens ({int(requests[f, m, e])} requests)",
            PricingQuantity=token_count / 1e6, PricingUnit="1M tokens",
            ConsumedQuantity=token_count, ConsumedUnit="Tokens", PricingCategory="Standard",
            ResourceId=f"{project_id}/{model.name}", ResourceName=model.name, ResourceType="Model",
            Tags=tags, **_sku(f"{model.name}:tokens", model.provider),
        ))
    return lines


def gpu_lines(day: date, node_cost: np.ndarray) -> list[dict]:
    """One EC2 line per GPU node, and the GPU Savings Plan's daily fee."""
    lines = []
    fee = 0.0
    for node, cost in zip(GPU_NODES, node_cost):
        hours = float(cost) / node.hourly_usd
        list_cost = hours * node.list_hourly_usd
        committed = node.hourly_usd < node.list_hourly_usd
        extra: _Pricing = _commitment_fields(SP_GPU, SP_GPU_NAME, "Spend", "Savings Plan") if committed else {
            "PricingCategory": "Standard"}
        fee += float(cost) if committed else 0.0
        lines.append(charge_line(
            day, AWS_ML, billed=0.0 if committed else float(cost), effective=float(cost),
            list_cost=list_cost, contracted=list_cost,
            ServiceCategory="Compute", ServiceSubcategory="Virtual Machines",
            ServiceName="Amazon Elastic Compute Cloud",
            ChargeDescription=f"${node.list_hourly_usd:.2f} per On Demand Linux {node.instance_type} Instance Hour",
            PricingQuantity=hours, PricingUnit="Hours", ConsumedQuantity=hours, ConsumedUnit="Hours",
            ListUnitPrice=node.list_hourly_usd, ContractedUnitPrice=node.list_hourly_usd,
            RegionId=node.region, RegionName=_REGION_NAMES[node.region], AvailabilityZone=node.zone,
            ResourceId=f"i-0{_code(node.node_id, length=16).lower()}", ResourceName=node.node_id,
            ResourceType="Instance",
            Tags={"team": node.team, "environment": "prod", "cluster": node.cluster},
            **_sku(f"BoxUsage:{node.instance_type}", "aws"), **extra,
        ))
    if fee:
        lines.append(_commitment_fee(day, None, SP_GPU, SP_GPU_NAME, "Spend", "Savings Plan", fee))
    return lines


def _commitment_fee(day: date, covered: UsageLine | None, commitment: str, name: str, category: str,
                    kind: str, fee: float) -> dict:
    """The daily recurring fee of a commitment; its cost is amortized onto the covered lines."""
    fields = _commitment_fields(commitment, name, category, kind)
    fields.pop("CommitmentDiscountStatus")
    savings_plan = kind == "Savings Plan"
    return charge_line(
        day, covered.account if covered else AWS_ML, billed=fee, effective=0.0, list_cost=0.0, contracted=0.0,
        category="Purchase",
        ServiceCategory="Compute" if savings_plan or covered is None else covered.category,
        ServiceSubcategory="Virtual Machines" if savings_plan or covered is None else covered.subcategory,
        ServiceName="AWS Savings Plans" if savings_plan or covered is None else covered.service,
        ChargeDescription=f"Recurring fee of {name}", ChargeFrequency="Recurring",
        PricingQuantity=24.0, PricingUnit="Hours", ListUnitPrice=fee / 24, ContractedUnitPrice=fee / 24,
        **fields,
    )


def cloud_lines(day: date, usages: list[UsageQuantity]) -> tuple[list[dict], dict[str, float]]:
    """The usage lines of the rest of the cloud, commitment fees, and incident deltas."""
    lines = []
    fees: dict[str, float] = {}
    impacts: dict[str, float] = {}
    for usage in usages:
        line = usage.line
        list_cost = round(usage.quantity * line.unit_price, 6)
        effective = list_cost
        extra: _Pricing = {"PricingCategory": "Standard"}
        if line.commitment:
            name, category, kind, discount = COMMITMENTS[line.commitment]
            effective = round(list_cost * (1 - discount), 6)
            fees[line.commitment] = fees.get(line.commitment, 0.0) + effective
            extra = _commitment_fields(line.commitment, name, category, kind)
        if line.key in INCIDENT_LINES:
            delta = (usage.quantity - usage.baseline) * line.unit_price
            impacts[INCIDENT_LINES[line.key]] = impacts.get(INCIDENT_LINES[line.key], 0.0) + delta
        region = line.region
        resource_id = None
        if line.resource_type == "Instance":
            resource_id = f"i-0{_code(line.resource or line.key, length=16).lower()}"
        elif line.resource and line.service == "Amazon Simple Storage Service":
            resource_id = f"arn:aws:s3:::{line.resource}"
        elif line.resource:
            resource_id = (f"arn:aws:{_ARN_SERVICES[line.service]}:{region}:"
                           f"{line.account.sub_account_id}:{line.resource}")
        lines.append(charge_line(
            day, line.account, billed=0.0 if line.commitment else effective, effective=effective,
            list_cost=list_cost, contracted=list_cost,
            ServiceCategory=line.category, ServiceSubcategory=line.subcategory, ServiceName=line.service,
            ChargeDescription=line.description, PricingQuantity=usage.quantity, PricingUnit=line.unit,
            ConsumedQuantity=usage.quantity, ConsumedUnit=line.unit, ListUnitPrice=line.unit_price,
            ContractedUnitPrice=line.unit_price, RegionId=region, RegionName=_REGION_NAMES.get(region or ""),
            ResourceId=resource_id, ResourceName=line.resource, ResourceType=line.resource_type,
            Tags=dict(line.tags) if line.tags else None, **_sku(line.sku, line.account.provider), **extra,
        ))
    for commitment, fee in fees.items():
        name, category, kind, _ = COMMITMENTS[commitment]
        covered = next(u.line for u in usages if u.line.commitment == commitment)
        lines.append(_commitment_fee(day, covered, commitment, name, category, kind, round(fee, 6)))
    return lines, impacts


def adjustment_lines(day: date, gcp_usage: float) -> list[dict]:
    """The monthly promotional credit (on the 1st) and the daily GCP sales tax."""
    lines = []
    if day.day == 1:
        lines.append(charge_line(
            day, AWS_DATA, billed=-MONTHLY_CREDIT_USD, category="Credit",
            ServiceCategory="Compute", ServiceName="Amazon Elastic Compute Cloud",
            ChargeDescription="AWS Migration Acceleration Program credit", ChargeFrequency="One-Time",
        ))
    if gcp_usage > 0:
        lines.append(charge_line(
            day, GCP_ANALYTICS, billed=round(gcp_usage * GCP_TAX_RATE, 6), category="Tax",
            ServiceCategory="Other", ServiceName="Tax", ChargeDescription="US sales tax",
            ChargeFrequency="Recurring", RegionId="us", RegionName=_REGION_NAMES["us"],
        ))
    return lines


def generate_billing_day(day: date, schedule: IncidentSchedule, seed: int, llm_cost: np.ndarray,
                         llm_tokens: np.ndarray, llm_requests: np.ndarray, node_cost: np.ndarray) -> BillingDay:
    """All charge lines of `day`."""
    rng = np.random.default_rng([seed, 4, schedule.day_index(day)])
    usages = usage_quantities(day, schedule, rng)
    lines = ai_vendor_lines(day, llm_cost, llm_tokens, llm_requests)
    lines += gpu_lines(day, node_cost)
    usage_lines, impacts = cloud_lines(day, usages)
    lines += usage_lines
    gcp = sum(line["EffectiveCost"] for line in usage_lines if line["ProviderName"] == GCP_ANALYTICS.provider)
    lines += adjustment_lines(day, gcp)
    table = pa.Table.from_pylist(lines, schema=SCHEMA)
    service_cost: dict[str, float] = {}
    for line in lines:
        service_cost[line["ServiceName"]] = service_cost.get(line["ServiceName"], 0.0) + line["EffectiveCost"]
    return BillingDay(table=table, service_cost=service_cost, impacts=impacts)
