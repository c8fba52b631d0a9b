"""The rest of Acme AI's cloud bill: app compute, storage, databases, networking, observability.

Sized for a company of Acme AI's size and independent of how many LLM requests
are generated. Three billing incidents live here: the Data Transfer spike, the
CloudWatch Logs creep and the OpenSearch vector index growth. Each line's daily
quantity is `base * (1 + growth)^day * weekend factor * noise * incident`
(growth damped for ranges over a year, see `traffic.daily_growth`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from warehouse.demo.focus import AWS_DATA, AWS_DEV, AWS_PROD, GCP_ANALYTICS, Account, month_bounds
from warehouse.demo.incidents import IncidentSchedule
from warehouse.demo.traffic import daily_growth

SP_COMPUTE = "arn:aws:savingsplans::310958442817:savingsplan/8c1e5b2a-compute"
RI_RDS = "arn:aws:rds:us-east-1:482910337165:ri:acme-pg-ri-2026"
COMMITMENTS = {
    SP_COMPUTE: ("Compute Savings Plan (3yr, no upfront)", "Spend", "Savings Plan", 0.28),
    RI_RDS: ("RDS Reserved Instance db.r6g.4xlarge (1yr)", "Usage", "Reserved Instance", 0.35),
}

DT_SPIKE_LINE = "dt-usw2-egress"
LOGS_INGEST_LINE = "cw-logs-ingest"
VECTOR_STORAGE_LINE = "os-vector-storage"
VECTOR_NODES_LINE = "os-vector-nodes"
LOGS_CREEP_PER_DAY = 0.03
VECTOR_GB_PER_DAY = 15.0
VECTOR_GB_PER_DAY_INCIDENT = 180.0
VECTOR_GB_START = 3000.0
VECTOR_GB_PER_NODE = 1000.0


@dataclass(frozen=True)
class UsageLine:
    """A recurring usage line: one resource or meter billed every day."""

    key: str
    account: Account
    service: str
    category: str
    subcategory: str
    region: str | None
    sku: str
    description: str
    unit: str
    unit_price: float
    quantity: float
    resource: str | None = None
    resource_type: str | None = None
    growth: float = 0.0
    noise: float = 0.05
    weekend: float = 1.0
    tags: tuple[tuple[str, str], ...] | None = None
    commitment: str | None = None
    monthly: bool = False  # quantity is per month (GB-Mo): a day bills 1/days-in-month of it


def _tags(team: str | None = None, environment: str = "prod", **extra: str) -> tuple[tuple[str, str], ...]:
    pairs = {"team": team, "environment": environment, **extra}
    return tuple((key, value) for key, value in pairs.items() if value is not None)


def _instances(prefix: str, count: int, instance: str, price: float, account: Account, region: str,
               tags: tuple[tuple[str, str], ...] | None, commitment: str | None = None) -> list[UsageLine]:
    return [
        UsageLine(
            f"ec2-{prefix}-{n:02d}", account, "Amazon Elastic Compute Cloud", "Compute", "Virtual Machines",
            region, f"BoxUsage:{instance}", f"${price:.4f} per On Demand Linux {instance} Instance Hour",
            "Hours", price, 24.0, resource=f"{prefix}-{n:02d}", resource_type="Instance", noise=0.0,
            tags=tags, commitment=commitment,
        )
        for n in range(1, count + 1)
    ]


USAGE_LINES: tuple[UsageLine, ...] = (
    *_instances("api", 4, "m7i.2xlarge", 0.4032, AWS_PROD, "us-east-1", _tags("platform", service="api")),
    *_instances("worker", 6, "c7i.4xlarge", 0.714, AWS_PROD, "us-east-1", _tags(None, service="worker")),
    *_instances("rag", 4, "r7i.2xlarge", 0.5292, AWS_PROD, "us-east-1", _tags("docs-ai", service="rag")),
    *_instances("eks-node", 8, "m7i.4xlarge", 0.8064, AWS_PROD, "us-east-1", _tags("platform"), SP_COMPUTE),
    *_instances("dev-box", 3, "m7i.xlarge", 0.2016, AWS_DEV, "us-east-1", None),
    UsageLine("ebs-prod", AWS_PROD, "Amazon Elastic Compute Cloud", "Storage", "Block Storage", "us-east-1",
              "EBS:VolumeUsage.gp3", "$0.08 per GB-month of General Purpose (gp3) provisioned storage",
              "GB-Mo", 0.08, 40_000.0, growth=0.001, noise=0.0, tags=_tags("platform"), monthly=True),
    UsageLine("s3-docs-raw", AWS_DATA, "Amazon Simple Storage Service", "Storage", "Object Storage", "us-east-1",
              "TimedStorage-ByteHrs", "$0.023 per GB-month of storage used in Standard", "GB-Mo", 0.023,
              120_000.0, resource="acme-docs-raw", resource_type="Bucket", growth=0.002, noise=0.0,
              tags=_tags("docs-ai"), monthly=True),
    UsageLine("s3-logs-archive", AWS_DATA, "Amazon Simple Storage Service", "Storage", "Object Storage",
              "us-east-1", "TimedStorage-GIR-ByteHrs", "$0.004 per GB-month of Glacier Instant Retrieval storage",
              "GB-Mo", 0.004, 300_000.0, resource="acme-logs-archive", resource_type="Bucket", growth=0.003,
              noise=0.0, monthly=True),
    UsageLine("s3-artifacts", AWS_DATA, "Amazon Simple Storage Service", "Storage", "Object Storage", "us-east-1",
              "TimedStorage-ByteHrs", "$0.023 per GB-month of storage used in Standard", "GB-Mo", 0.023,
              40_000.0, resource="acme-model-artifacts", resource_type="Bucket", growth=0.001, noise=0.0,
              tags=_tags("platform"), monthly=True),
    UsageLine("s3-requests", AWS_DATA, "Amazon Simple Storage Service", "Storage", "Object Storage", "us-east-1",
              "Requests-Tier1", "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", "1K Requests", 0.005,
              12_000.0, growth=0.003, weekend=0.7, tags=_tags("docs-ai")),
    UsageLine(LOGS_INGEST_LINE, AWS_PROD, "Amazon CloudWatch", "Management and Governance", "Observability",
              "us-east-1", "DataProcessing-Bytes", "$0.50 per GB of custom log data ingested", "GB", 0.50, 300.0,
              growth=0.002, weekend=0.85),
    UsageLine("cw-logs-storage", AWS_PROD, "Amazon CloudWatch", "Management and Governance", "Observability",
              "us-east-1", "TimedStorage-ByteHrs", "$0.03 per GB-month of log data archived", "GB-Mo", 0.03,
              40_000.0, growth=0.004, noise=0.0, monthly=True),
    UsageLine("cw-metrics", AWS_PROD, "Amazon CloudWatch", "Management and Governance", "Observability",
              "us-east-1", "CW:MetricMonitorUsage", "$0.30 per metric-month for the first 10,000 metrics",
              "Metrics", 0.30, 6_000.0, noise=0.01, tags=_tags("platform"), monthly=True),
    UsageLine("dt-use1-egress", AWS_PROD, "AWS Data Transfer", "Networking", "Network Connectivity", "us-east-1",
              "DataTransfer-Out-Bytes", "$0.09 per GB - first 10 TB / month data transfer out to the Internet",
              "GB", 0.09, 1_500.0, growth=0.003, weekend=0.75),
    UsageLine("dt-use1-usw2", AWS_PROD, "AWS Data Transfer", "Networking", "Network Connectivity", "us-east-1",
              "USE1-USW2-AWS-Out-Bytes", "$0.02 per GB - US East (N. Virginia) data transfer to US West (Oregon)",
              "GB", 0.02, 1_500.0, growth=0.002),
    UsageLine("dt-use1-inter-az", AWS_PROD, "AWS Data Transfer", "Networking", "Network Connectivity",
              "us-east-1", "DataTransfer-Regional-Bytes", "$0.01 per GB - regional data transfer in/out between AZs",
              "GB", 0.01, 3_000.0, growth=0.003),
    UsageLine(DT_SPIKE_LINE, AWS_DATA, "AWS Data Transfer", "Networking", "Network Connectivity", "us-west-2",
              "USW2-DataTransfer-Out-Bytes", "$0.09 per GB - first 10 TB / month data transfer out to the Internet",
              "GB", 0.09, 800.0, weekend=0.8),
    UsageLine("rds-main", AWS_PROD, "Amazon Relational Database Service", "Databases", "Relational Databases",
              "us-east-1", "Multi-AZUsage:db.r6g.4xl", "$3.456 per RDS db.r6g.4xlarge Multi-AZ instance hour",
              "Hours", 3.456, 24.0, resource="acme-pg-main", resource_type="DB Instance", noise=0.0,
              tags=_tags("platform"), commitment=RI_RDS),
    UsageLine("rds-storage", AWS_PROD, "Amazon Relational Database Service", "Databases", "Relational Databases",
              "us-east-1", "RDS:Multi-AZ-GP3-Storage", "$0.23 per GB-month of Multi-AZ gp3 storage", "GB-Mo",
              0.23, 4_000.0, resource="acme-pg-main", resource_type="DB Instance", growth=0.001, noise=0.0,
              tags=_tags("platform"), monthly=True),
    UsageLine("elasticache", AWS_PROD, "Amazon ElastiCache", "Databases", "Caches", "us-east-1",
              "NodeUsage:cache.r7g.xlarge", "$0.437 per cache.r7g.xlarge node hour", "Hours", 0.437, 72.0,
              resource="support-semantic-cache", resource_type="Cache Cluster", noise=0.0, tags=_tags("cx")),
    UsageLine(VECTOR_NODES_LINE, AWS_PROD, "Amazon OpenSearch Service", "Analytics", "Search", "us-east-1",
              "ESInstance:r6g.2xlarge", "$0.836 per r6g.2xlarge.search instance hour", "Hours", 0.836, 72.0,
              resource="vector-index-prod", resource_type="Domain", noise=0.0, tags=_tags("search")),
    UsageLine(VECTOR_STORAGE_LINE, AWS_PROD, "Amazon OpenSearch Service", "Analytics", "Search", "us-east-1",
              "ES:GP3-Storage", "$0.122 per GB-month of gp3 storage", "GB-Mo", 0.122, VECTOR_GB_START,
              resource="vector-index-prod", resource_type="Domain", noise=0.0, tags=_tags("search"), monthly=True),
    UsageLine("eks-clusters", AWS_PROD, "Amazon Elastic Kubernetes Service", "Compute", "Containers", "us-east-1",
              "AmazonEKS-Hours:perCluster", "$0.10 per hour per Amazon EKS cluster", "Hours", 0.10, 48.0,
              noise=0.0, tags=_tags("platform")),
    UsageLine("nat-hours", AWS_PROD, "Amazon Virtual Private Cloud", "Networking", "Network Connectivity",
              "us-east-1", "NatGateway-Hours", "$0.045 per NAT Gateway Hour", "Hours", 0.045, 72.0, noise=0.0),
    UsageLine("nat-bytes", AWS_PROD, "Amazon Virtual Private Cloud", "Networking", "Network Connectivity",
              "us-east-1", "NatGateway-Bytes", "$0.045 per GB Data Processed by NAT Gateways", "GB", 0.045,
              1_500.0, growth=0.002, weekend=0.8),
    UsageLine("alb", AWS_PROD, "Elastic Load Balancing", "Networking", "Load Balancing", "us-east-1",
              "LoadBalancerUsage", "$0.0225 per Application LoadBalancer-hour", "Hours", 0.0225, 96.0, noise=0.0,
              tags=_tags("platform")),
    UsageLine("alb-lcu", AWS_PROD, "Elastic Load Balancing", "Networking", "Load Balancing", "us-east-1",
              "LCUUsage", "$0.008 per used Application load balancer capacity unit-hour", "LCU-Hrs", 0.008,
              4_800.0, growth=0.003, weekend=0.7, tags=_tags("platform")),
    UsageLine("bq-analysis", GCP_ANALYTICS, "BigQuery", "Analytics", "Data Processing", "us",
              "3362-E469-6BEF", "Analysis (on-demand), per TiB scanned", "TiBy", 6.25, 18.0, growth=0.002,
              noise=0.12, weekend=0.5, tags=_tags("growth")),
    UsageLine("bq-storage", GCP_ANALYTICS, "BigQuery", "Analytics", "Data Processing", "us",
              "5FAE-A0C4-5D1E", "Active logical storage, per GiB-month", "GiBy.mo", 0.02, 80_000.0, growth=0.002,
              noise=0.0, tags=_tags("growth"), monthly=True),
    UsageLine("gcs-standard", GCP_ANALYTICS, "Cloud Storage", "Storage", "Object Storage", "us",
              "E5F0-6A5D-7BAD", "Standard Storage US Multi-region, per GiB-month", "GiBy.mo", 0.026, 60_000.0,
              growth=0.002, noise=0.0, monthly=True),
)
GCP_TAX_RATE = 0.07
MONTHLY_CREDIT_USD = 1_500.0


@dataclass(frozen=True)
class UsageQuantity:
    """A line's quantity for one day, and what it would have been with no incident."""

    line: UsageLine
    quantity: float
    baseline: float


def _days_in_month(day: date) -> int:
    start, end = month_bounds(day)
    return (end - start).days


def usage_quantities(day: date, schedule: IncidentSchedule, rng: np.random.Generator) -> list[UsageQuantity]:
    """Every usage line's quantity for `day`, incidents included."""
    index = schedule.day_index(day)
    days = (schedule.end - schedule.start).days
    weekend = day.weekday() >= 5
    noise = rng.standard_normal(len(USAGE_LINES))
    spike = rng.uniform(6.0, 9.0)
    vector_gb = VECTOR_GB_START + daily_growth(VECTOR_GB_PER_DAY, days) * index
    vector_extra = VECTOR_GB_PER_DAY_INCIDENT * max(0, (day - schedule.vector_index_growth).days)
    quantities = []
    for line, z in zip(USAGE_LINES, noise):
        base = line.quantity * (1 + daily_growth(line.growth, days)) ** index * (line.weekend if weekend else 1.0)
        base *= math.exp(line.noise * z)
        actual = base
        if line.key == DT_SPIKE_LINE and schedule.data_transfer_spike <= day < schedule.data_transfer_spike_end:
            actual = base * spike
        elif line.key == LOGS_INGEST_LINE and day >= schedule.logging_creep:
            actual = base * (1 + LOGS_CREEP_PER_DAY) ** ((day - schedule.logging_creep).days + 1)
        elif line.key == VECTOR_STORAGE_LINE:
            base, actual = vector_gb, vector_gb + vector_extra
        elif line.key == VECTOR_NODES_LINE:
            base = 24.0 * max(3, math.ceil(vector_gb / VECTOR_GB_PER_NODE))
            actual = 24.0 * max(3, math.ceil((vector_gb + vector_extra) / VECTOR_GB_PER_NODE))
        if line.monthly:
            base, actual = base / _days_in_month(day), actual / _days_in_month(day)
        quantities.append(UsageQuantity(line, actual, base))
    return quantities


INCIDENT_LINES = {
    DT_SPIKE_LINE: "data_transfer_spike",
    LOGS_INGEST_LINE: "logging_creep",
    VECTOR_STORAGE_LINE: "vector_index_growth",
    VECTOR_NODES_LINE: "vector_index_growth",
}
