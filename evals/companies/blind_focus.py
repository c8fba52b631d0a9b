"""Tidemark Payroll: a FOCUS-rich blind fixture company for the blind-focus question set.

Who: a payroll and tax-filing SaaS for small employers. AWS is the main
platform (payer `tidemark-aws-org`, linked accounts tidemark-prod,
tidemark-staging, tidemark-data; us-east-1 with zones us-east-1a/us-east-1b,
and eu-west-1). Azure runs the EU payroll portal (billing account
`Tidemark Payroll EU`, subscriptions tdm-eu-prod and tdm-eu-dev; westeurope,
northeurope). Google Cloud runs analytics and document OCR (billing account
`Tidemark GCP`, projects tdm-analytics and tdm-ml; europe-west1, us-central1).
Everything is billed in USD.

What the data covers: charges from 2026-09-01 to 2026-11-17 inclusive, so
AS_OF is 2026-11-18 (a Wednesday). Billing periods September and October are
closed (invoiced, taxes posted, InvoiceId set); November is open (InvoiceId
NULL, no tax yet).

Planted facts (billing, FOCUS 1.2):
- Grains: the AWS prod EC2 fleet (m7i.2xlarge, i-0tdmprod01..09) and the GPU
  capacity reservation are hourly; everything else is daily; commitment
  purchases, marketplace subscriptions and taxes are monthly rows.
- AWS Compute Savings Plan `sp-tdm-compute-2026` (Spend, $1.96/hour, billed as
  a monthly Recurring Purchase row with EffectiveCost 0): covers up to 7 fleet
  instances at $0.28/h (list $0.4032/h). Hours with fewer than 7 instances
  carry a CommitmentDiscountStatus = 'Unused' row (ListCost = ContractedCost =
  EffectiveCost = the unused commitment, BilledCost 0). From 2026-10-19 to
  2026-11-01 the fleet was scaled down at night, so unused SP is highest then.
- AWS enterprise discount: ContractedCost = 94% of ListCost on AWS usage.
- AWS On-Demand Capacity Reservation `cr-0f3c9a7e21b4d5a60` (2 x g6.12xlarge,
  us-east-1b, tidemark-data): Used hours billed on the instances, Unused hours
  billed on the reservation id with CapacityReservationStatus 'Unused'
  (weekends fully unused).
- Azure reserved VM instance `ri-tdm-d8sv5-1y` bought 2026-09-01 (One-Time
  Purchase $6,570, EffectiveCost 0) covering 3 D8s v5 VMs at $6.00/day each
  amortized; vm-eu-prod-03 was deallocated 2026-10-12..2026-10-25, so those
  days carry an Unused reservation row.
- Google Cloud resource-based CUD `cud-tdm-n2-euw1` (monthly Recurring Purchase)
  covering 3 of the 4 n2-standard-16 VMs in tdm-analytics; fully used.
- Credits: AWS promotional credit on Amazon Bedrock (daily, a $2,500 pool that
  runs out in October); Google Cloud BigQuery migration credit of $500 on
  2026-10-01 and 2026-11-01.
- Taxes for September and October on each billing account (AWS 6%, Azure 21%,
  Google Cloud 4.5% of that period's billed charges).
- Adjustment: Azure SQL Database SLA credit -$180 on 2026-10-14.
- Corrections (ChargeClass 'Correction'): an S3 over-charge from 2026-09-08
  refunded on the October invoice (-$612.40); BigQuery under-billing from
  2026-10-09 charged on the November billing period (+$412.30).
- Marketplace: Quillon Observability Inc. via AWS Marketplace (monthly
  subscription + daily log-ingestion metering) and Ferrocene Search GmbH via
  Azure Marketplace (daily); PublisherName differs from InvoiceIssuerName.
- Tags (MAP): team, application, environment, cost-center with partial
  coverage; networking, logging/monitoring, commitment-unused and capacity
  unused rows, taxes, credits are untagged; fleet instances 08 and 09 lack
  cost-center.
- Anomaly: AWS Data Transfer in tidemark-prod spikes to ~6x on 2026-11-05.
- BigQuery spend in tdm-analytics grows ~40% in November over October.
- llm_requests (small, one month), gpu_usage (one node, two weeks),
  model_prices and budgets (total and per-service cost budgets) are small.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import random

import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = dt.date(2026, 11, 18)
SEED = 20261118
START = dt.date(2026, 9, 1)
END = dt.date(2026, 11, 18)  # exclusive
MONTHS = (dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1))
CLOSED = (dt.date(2026, 9, 1), dt.date(2026, 10, 1))

_STR = pa.string()
_F = pa.float64()
_T = pa.timestamp("us")
_BILLING_COLUMNS = [
    ("BilledCost", _F), ("EffectiveCost", _F), ("ListCost", _F), ("ContractedCost", _F),
    ("BillingAccountId", _STR), ("BillingAccountName", _STR), ("BillingAccountType", _STR), ("BillingCurrency", _STR),
    ("BillingPeriodStart", _T), ("BillingPeriodEnd", _T), ("ChargePeriodStart", _T), ("ChargePeriodEnd", _T),
    ("ChargeCategory", _STR), ("ChargeClass", _STR), ("ChargeDescription", _STR), ("ChargeFrequency", _STR),
    ("InvoiceIssuerName", _STR), ("ProviderName", _STR), ("PublisherName", _STR), ("InvoiceId", _STR),
    ("ServiceCategory", _STR), ("ServiceSubcategory", _STR), ("ServiceName", _STR),
    ("SubAccountId", _STR), ("SubAccountName", _STR), ("SubAccountType", _STR),
    ("RegionId", _STR), ("RegionName", _STR), ("AvailabilityZone", _STR),
    ("ResourceId", _STR), ("ResourceName", _STR), ("ResourceType", _STR),
    ("SkuId", _STR), ("SkuPriceId", _STR), ("SkuMeter", _STR), ("SkuPriceDetails", _STR),
    ("PricingCategory", _STR), ("PricingQuantity", _F), ("PricingUnit", _STR), ("PricingCurrency", _STR),
    ("ConsumedQuantity", _F), ("ConsumedUnit", _STR), ("ListUnitPrice", _F), ("ContractedUnitPrice", _F),
    ("CommitmentDiscountId", _STR), ("CommitmentDiscountName", _STR), ("CommitmentDiscountCategory", _STR),
    ("CommitmentDiscountType", _STR), ("CommitmentDiscountStatus", _STR), ("CommitmentDiscountQuantity", _F),
    ("CommitmentDiscountUnit", _STR), ("CapacityReservationId", _STR), ("CapacityReservationStatus", _STR),
    ("Tags", pa.map_(_STR, _STR)),
]

# provider -> (account id, account name, account type, invoice issuer, invoice prefix, sub account type)
_ACCOUNTS = {
    "AWS": ("740118263905", "tidemark-aws-org", "Management Account", "Amazon Web Services, Inc.", "AWSINV-740118", "Linked Account"),
    "Microsoft": ("7705512", "Tidemark Payroll EU", "Billing Profile", "Microsoft", "E0-7705512", "Subscription"),
    "Google Cloud": ("01C7F2-88A1D4-3E9B70", "Tidemark GCP", "Billing Account", "Google Cloud", "GCP-3E9B70", "Project"),
}
_SUBS = {
    "tidemark-prod": ("AWS", "318402117701"),
    "tidemark-staging": ("AWS", "318402117702"),
    "tidemark-data": ("AWS", "318402117703"),
    "tdm-eu-prod": ("Microsoft", "4f1c2a90-3b7e-4d21-9a55-8e0c6f1b7d01"),
    "tdm-eu-dev": ("Microsoft", "a82d6e13-5c4f-4b8a-b1e7-2d9f0c3a6e02"),
    "tdm-analytics": ("Google Cloud", "tdm-analytics"),
    "tdm-ml": ("Google Cloud", "tdm-ml"),
}
_REGIONS = {
    "us-east-1": "US East (N. Virginia)", "eu-west-1": "Europe (Ireland)",
    "westeurope": "West Europe", "northeurope": "North Europe",
    "europe-west1": "Belgium", "us-central1": "Iowa", "global": "Global",
}
_AWS_EDP = 0.94
_TAX = {"AWS": 0.06, "Microsoft": 0.21, "Google Cloud": 0.045}

SP = dict(id="arn:aws:savingsplans::740118263905:savingsplan/sp-tdm-compute-2026", name="sp-tdm-compute-2026",
          category="Spend", type="Savings Plan", unit="USD")
RI = dict(id="/providers/Microsoft.Capacity/reservationOrders/ri-tdm-d8sv5-1y", name="ri-tdm-d8sv5-1y",
          category="Usage", type="Reservation", unit="Hours")
CUD = dict(id="projects/tdm-analytics/regions/europe-west1/commitments/cud-tdm-n2-euw1", name="cud-tdm-n2-euw1",
           category="Usage", type="Committed Use Discount", unit="vCPU-Hours")
CR_ID = "cr-0f3c9a7e21b4d5a60"

SP_RATE_HOURLY = 1.96
EC2_LIST = 0.4032
EC2_SP = 0.28
GPU_LIST = 4.6016


def _ts(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _days():
    d = START
    while d < END:
        yield d
        d += dt.timedelta(days=1)


def _tags(**kw) -> dict | None:
    tags = {k.replace("_", "-"): v for k, v in kw.items() if v is not None}
    return tags or None


class _Billing:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, provider: str, sub: str | None, start: dt.datetime, end: dt.datetime, *, billed: float,
            effective: float, listed: float, contracted: float, category: str = "Usage", billing_start: dt.date | None = None,
            **kw) -> dict:
        acct = _ACCOUNTS[provider]
        bp = billing_start or dt.date(start.year, start.month, 1)
        row = {name: None for name, _ in _BILLING_COLUMNS}
        row.update(
            BilledCost=round(billed, 6), EffectiveCost=round(effective, 6), ListCost=round(listed, 6),
            ContractedCost=round(contracted, 6), BillingAccountId=acct[0], BillingAccountName=acct[1],
            BillingAccountType=acct[2], BillingCurrency="USD", BillingPeriodStart=_ts(bp),
            BillingPeriodEnd=_ts(_next_month(bp)), ChargePeriodStart=start, ChargePeriodEnd=end,
            ChargeCategory=category, InvoiceIssuerName=acct[3], ProviderName=provider, PublisherName=provider,
            InvoiceId=f"{acct[4]}-{bp:%Y%m}" if bp in CLOSED else None, PricingCurrency="USD",
        )
        if sub is not None:
            row.update(SubAccountId=_SUBS[sub][1], SubAccountName=sub, SubAccountType=acct[5])
        region = kw.pop("region", None)
        if region is not None:
            row.update(RegionId=region, RegionName=_REGIONS[region])
        commitment = kw.pop("commitment", None)
        if commitment is not None:
            row.update(CommitmentDiscountId=commitment["id"], CommitmentDiscountName=commitment["name"],
                       CommitmentDiscountCategory=commitment["category"], CommitmentDiscountType=commitment["type"],
                       CommitmentDiscountUnit=commitment["unit"])
        for key, value in kw.items():
            if key not in row:
                raise KeyError(key)
            row[key] = value
        self.rows.append(row)
        return row

    def usage(self, provider: str, sub: str, start: dt.datetime, end: dt.datetime, *, quantity: float,
              list_price: float, discount: float = 1.0, unit: str, consumed: float | None = None,
              consumed_unit: str | None = None, **kw) -> dict:
        """An on-demand usage line: billed = effective = contracted."""
        contracted_price = list_price * discount
        cost = quantity * contracted_price
        kw.setdefault("PricingCategory", "Standard")
        kw.setdefault("ChargeFrequency", "Usage-Based")
        return self.add(provider, sub, start, end, billed=cost, effective=cost, listed=quantity * list_price,
                        contracted=cost, PricingQuantity=quantity, PricingUnit=unit,
                        ConsumedQuantity=quantity if consumed is None else consumed,
                        ConsumedUnit=consumed_unit or unit, ListUnitPrice=list_price,
                        ContractedUnitPrice=round(contracted_price, 8), **kw)

    def table(self) -> pa.Table:
        cols = {}
        for name, typ in _BILLING_COLUMNS:
            values = [r[name] for r in self.rows]
            if name == "Tags":
                values = [list(v.items()) if v else None for v in values]
            cols[name] = pa.array(values, type=typ)
        return pa.table(cols)


def _fleet_size(day: dt.date, hour: int) -> int:
    weekday = day.weekday() < 5
    scaled_down = dt.date(2026, 10, 19) <= day < dt.date(2026, 11, 2)
    if weekday and 13 <= hour < 23:
        return 9
    if scaled_down and not (13 <= hour < 23):
        return 4
    return 6 if weekday else 5


def _aws(b: _Billing, rng: random.Random) -> None:
    ec2 = dict(ServiceName="Amazon Elastic Compute Cloud", ServiceCategory="Compute", ServiceSubcategory="Virtual Machines")
    credit_left = 2500.0
    for day in _days():
        for hour in range(24):
            s, e = _ts(day, hour), _ts(day, hour) + dt.timedelta(hours=1)
            n = _fleet_size(day, hour)
            covered = 0
            for k in range(n):
                zone = "us-east-1a" if k % 2 == 0 else "us-east-1b"
                rid = f"i-0tdmprod{k + 1:02d}"
                tags = _tags(team="payroll-core", application="payroll-api", environment="prod",
                             cost_center="CC-100" if k < 7 else None)
                common = dict(region="us-east-1", AvailabilityZone=zone, ResourceId=rid, ResourceName=f"payroll-api-{k + 1:02d}",
                              ResourceType="Instance", SkuId="EC2-m7i.2xlarge-Linux", SkuPriceId="USE1-BoxUsage:m7i.2xlarge",
                              SkuMeter="BoxUsage", SkuPriceDetails=json.dumps({"InstanceType": "m7i.2xlarge", "CoreCount": 8, "OperatingSystem": "Linux"}),
                              ChargeDescription="m7i.2xlarge Linux On-Demand instance hour", Tags=tags, **ec2)
                if k < 7:
                    covered += 1
                    b.add("AWS", "tidemark-prod", s, e, billed=0.0, effective=EC2_SP, listed=EC2_LIST,
                          contracted=EC2_LIST * _AWS_EDP, commitment=SP, CommitmentDiscountStatus="Used",
                          CommitmentDiscountQuantity=EC2_SP, PricingCategory="Committed", PricingQuantity=1.0,
                          PricingUnit="Hours", ConsumedQuantity=1.0, ConsumedUnit="Hours", ListUnitPrice=EC2_LIST,
                          ContractedUnitPrice=round(EC2_LIST * _AWS_EDP, 8), ChargeFrequency="Usage-Based", **common)
                else:
                    b.usage("AWS", "tidemark-prod", s, e, quantity=1.0, list_price=EC2_LIST, discount=_AWS_EDP,
                            unit="Hours", **common)
            unused = round(SP_RATE_HOURLY - covered * EC2_SP, 6)
            if unused > 1e-9:
                b.add("AWS", "tidemark-prod", s, e, billed=0.0, effective=unused, listed=unused, contracted=unused,
                      commitment=SP, CommitmentDiscountStatus="Unused", CommitmentDiscountQuantity=unused,
                      PricingCategory="Committed", PricingQuantity=unused, PricingUnit="USD", ConsumedQuantity=None,
                      ChargeFrequency="Recurring", region="us-east-1", ResourceId=SP["id"], ResourceType="Savings Plan",
                      ChargeDescription="Unused Compute Savings Plan commitment", ServiceName="AWS Savings Plans",
                      ServiceCategory="Compute", ServiceSubcategory="Virtual Machines", SkuId="ComputeSP-1yr-NoUpfront")
            # capacity reservation, 2 x g6.12xlarge
            used = 0 if day.weekday() >= 5 else (2 if 12 <= hour < 22 else 1)
            cr_common = dict(region="us-east-1", AvailabilityZone="us-east-1b", CapacityReservationId=CR_ID,
                             SkuId="EC2-g6.12xlarge-Linux", SkuPriceId="USE1-Reservation:g6.12xlarge", SkuMeter="Reservation",
                             SkuPriceDetails=json.dumps({"InstanceType": "g6.12xlarge", "CoreCount": 48, "GpuCount": 4}), **ec2)
            for g in range(used):
                b.usage("AWS", "tidemark-data", s, e, quantity=1.0, list_price=GPU_LIST, discount=_AWS_EDP, unit="Hours",
                        ResourceId=f"i-0tdmgpu{g + 1:02d}", ResourceName=f"doc-ocr-gpu-{g + 1:02d}", ResourceType="Instance",
                        CapacityReservationStatus="Used", ChargeDescription="g6.12xlarge Linux instance hour in capacity reservation",
                        Tags=_tags(team="ml", application="doc-ocr", environment="prod"), **cr_common)
            if used < 2:
                b.usage("AWS", "tidemark-data", s, e, quantity=float(2 - used), list_price=GPU_LIST, discount=_AWS_EDP,
                        unit="Hours", ResourceId=CR_ID, ResourceName="doc-ocr-gpu-reservation",
                        ResourceType="Capacity Reservation", CapacityReservationStatus="Unused",
                        ChargeDescription="Unused reserved capacity, g6.12xlarge", **cr_common)

        d0, d1 = _ts(day), _ts(day + dt.timedelta(days=1))
        wk = 1.0 if day.weekday() < 5 else 0.7
        for i in range(2):
            b.usage("AWS", "tidemark-staging", d0, d1, quantity=24.0, list_price=0.0832, discount=_AWS_EDP, unit="Hours",
                    region="us-east-1", AvailabilityZone="us-east-1a", ResourceId=f"i-0tdmstg{i + 1:02d}",
                    ResourceName=f"payroll-staging-{i + 1:02d}", ResourceType="Instance", SkuId="EC2-t3.large-Linux",
                    SkuPriceId="USE1-BoxUsage:t3.large", SkuMeter="BoxUsage",
                    SkuPriceDetails=json.dumps({"InstanceType": "t3.large", "CoreCount": 2, "OperatingSystem": "Linux"}),
                    ChargeDescription="t3.large Linux On-Demand instance hour", Tags=_tags(team="payroll-core", environment="staging"), **ec2)
        b.usage("AWS", "tidemark-prod", d0, d1, quantity=24.0, list_price=1.008, discount=_AWS_EDP, unit="Hours",
                region="us-east-1", AvailabilityZone="us-east-1a", ResourceId="arn:aws:rds:us-east-1:318402117701:db:payroll-pg",
                ResourceName="payroll-pg", ResourceType="DB Instance", ServiceName="Amazon Relational Database Service",
                ServiceCategory="Databases", ServiceSubcategory="Relational Databases", SkuId="RDS-db.r6g.2xlarge-PG",
                SkuPriceId="USE1-InstanceUsage:db.r6g.2xl", SkuMeter="InstanceUsage",
                ChargeDescription="db.r6g.2xlarge PostgreSQL Multi-AZ instance hour",
                Tags=_tags(team="payroll-core", application="payroll-api", environment="prod", cost_center="CC-100"))
        b.usage("AWS", "tidemark-prod", d0, d1, quantity=round(2400 + 2.5 * (day - START).days + rng.uniform(-20, 20), 3) / 30,
                list_price=0.08, discount=_AWS_EDP, unit="GB-Month", region="us-east-1", AvailabilityZone="us-east-1a",
                ResourceId="vol-0tdm-payroll-data", ResourceName="payroll-data", ResourceType="Volume",
                ServiceName="Amazon Elastic Block Store", ServiceCategory="Storage", ServiceSubcategory="Block Storage",
                SkuId="EBS-gp3", SkuPriceId="USE1-EBS:VolumeUsage.gp3", SkuMeter="VolumeUsage.gp3",
                ChargeDescription="gp3 General Purpose SSD storage", Tags=_tags(team="payroll-core", environment="prod"))
        gb = 52000 + 60 * (day - START).days
        b.usage("AWS", "tidemark-data", d0, d1, quantity=gb / 30, list_price=0.023, discount=_AWS_EDP, unit="GB-Month",
                region="us-east-1", ResourceId="arn:aws:s3:::tdm-payroll-archive", ResourceName="tdm-payroll-archive",
                ResourceType="Bucket", ServiceName="Amazon Simple Storage Service", ServiceCategory="Storage",
                ServiceSubcategory="Object Storage", SkuId="S3-Standard-Storage", SkuPriceId="USE1-TimedStorage-ByteHrs",
                SkuMeter="TimedStorage-ByteHrs", ChargeDescription="S3 Standard storage",
                Tags=_tags(team="data-platform", application="reporting-warehouse", cost_center="CC-300"))
        b.usage("AWS", "tidemark-data", d0, d1, quantity=round(1.8e6 * wk * rng.uniform(0.9, 1.1)) / 1000,
                list_price=0.005, discount=_AWS_EDP, unit="1K Requests", region="us-east-1",
                ResourceId="arn:aws:s3:::tdm-payroll-archive", ResourceName="tdm-payroll-archive", ResourceType="Bucket",
                ServiceName="Amazon Simple Storage Service", ServiceCategory="Storage", ServiceSubcategory="Object Storage",
                SkuId="S3-Requests-Tier1", SkuPriceId="USE1-Requests-Tier1", SkuMeter="Requests-Tier1",
                ChargeDescription="S3 PUT, COPY, POST, LIST requests",
                Tags=_tags(team="data-platform", application="reporting-warehouse", cost_center="CC-300"))
        b.usage("AWS", "tidemark-prod", d0, d1, quantity=round(40e6 * wk * rng.uniform(0.85, 1.15)) / 1e6, list_price=0.20,
                discount=_AWS_EDP, unit="1M Requests", region="eu-west-1", ResourceId="arn:aws:lambda:eu-west-1:318402117701:function:tax-calc",
                ResourceName="tax-calc", ResourceType="Function", ServiceName="AWS Lambda", ServiceCategory="Compute",
                ServiceSubcategory="Serverless Compute", SkuId="Lambda-Requests", SkuPriceId="EUW1-Request", SkuMeter="Request",
                ChargeDescription="Lambda requests", Tags=_tags(team="tax-engine", application="tax-calc", environment="prod", cost_center="CC-200"))
        b.usage("AWS", "tidemark-prod", d0, d1, quantity=round(520000 * wk * rng.uniform(0.85, 1.15), 1), list_price=0.0000166667,
                discount=_AWS_EDP, unit="GB-Seconds", region="eu-west-1", ResourceId="arn:aws:lambda:eu-west-1:318402117701:function:tax-calc",
                ResourceName="tax-calc", ResourceType="Function", ServiceName="AWS Lambda", ServiceCategory="Compute",
                ServiceSubcategory="Serverless Compute", SkuId="Lambda-Duration", SkuPriceId="EUW1-Lambda-GB-Second",
                SkuMeter="Lambda-GB-Second", ChargeDescription="Lambda compute duration",
                Tags=_tags(team="tax-engine", application="tax-calc", environment="prod", cost_center="CC-200"))
        b.usage("AWS", "tidemark-prod", d0, d1, quantity=round(rng.uniform(38, 46), 2), list_price=0.50, discount=_AWS_EDP,
                unit="GB", region="us-east-1", ServiceName="Amazon CloudWatch", ServiceCategory="Management and Governance",
                ServiceSubcategory="Observability", SkuId="CW-DataProcessing-Bytes", SkuPriceId="USE1-DataProcessing-Bytes",
                SkuMeter="DataProcessing-Bytes", ChargeDescription="CloudWatch Logs ingestion")
        spike = 6.2 if day == dt.date(2026, 11, 5) else 1.0
        b.usage("AWS", "tidemark-prod", d0, d1, quantity=round(1900 * wk * spike * rng.uniform(0.9, 1.1), 2), list_price=0.09,
                discount=_AWS_EDP, unit="GB", region="us-east-1", ServiceName="AWS Data Transfer", ServiceCategory="Networking",
                ServiceSubcategory="Network Connectivity", SkuId="DT-Out-Internet", SkuPriceId="USE1-DataTransfer-Out-Bytes",
                SkuMeter="DataTransfer-Out-Bytes", ChargeDescription="Data transfer out to the internet")
        ktok = round(5200 * wk * rng.uniform(0.85, 1.15), 1)
        row = b.usage("AWS", "tidemark-data", d0, d1, quantity=ktok, list_price=0.015, discount=_AWS_EDP, unit="1K Tokens",
                      consumed=ktok * 1000, consumed_unit="Tokens", region="us-east-1", ServiceName="Amazon Bedrock",
                      ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI",
                      SkuId="Bedrock-Claude-Output", SkuPriceId="USE1-Bedrock-OutputTokens", SkuMeter="OutputTokenCount",
                      ChargeDescription="Amazon Bedrock model inference, output tokens",
                      Tags=_tags(team="ml", application="doc-ocr", environment="prod"))
        if credit_left > 0:
            credit = min(credit_left, row["BilledCost"])
            credit_left -= credit
            b.add("AWS", "tidemark-data", d0, d1, category="Credit", billed=-credit, effective=-credit, listed=0.0,
                  contracted=0.0, ServiceName="Amazon Bedrock", ServiceCategory="AI and Machine Learning",
                  ServiceSubcategory="Generative AI", region="us-east-1", ChargeFrequency="Usage-Based",
                  ChargeDescription="AWS Promotional Credit: Generative AI Accelerator")
        gb_logs = round(310 * rng.uniform(0.9, 1.1), 2)
        b.usage("AWS", "tidemark-prod", d0, d1, quantity=gb_logs, list_price=0.12, unit="GB", region="us-east-1",
                PublisherName="Quillon Observability Inc.", ServiceName="Quillon Log Analytics",
                ServiceCategory="Management and Governance", ServiceSubcategory="Observability", SkuId="QUILLON-LOGS-GB",
                SkuPriceId="QUILLON-LOGS-GB-PAYG", SkuMeter="LogIngestion",
                ChargeDescription="Quillon Log Analytics ingestion (AWS Marketplace)")
    for month in MONTHS:
        hours = (_next_month(month) - month).days * 24
        fee = SP_RATE_HOURLY * hours
        b.add("AWS", "tidemark-prod", _ts(month), _ts(_next_month(month)), category="Purchase", billed=fee, effective=0.0,
              listed=fee, contracted=fee, commitment=SP, CommitmentDiscountQuantity=fee, PricingQuantity=float(hours),
              PricingUnit="Hours", ChargeFrequency="Recurring", PricingCategory="Committed", ResourceId=SP["id"],
              ResourceType="Savings Plan", ServiceName="AWS Savings Plans", ServiceCategory="Compute",
              ServiceSubcategory="Virtual Machines", SkuId="ComputeSP-1yr-NoUpfront",
              ChargeDescription="Compute Savings Plan, 1 year No Upfront, $1.96/hour recurring fee")
        b.usage("AWS", "tidemark-prod", _ts(month), _ts(_next_month(month)), quantity=1.0, list_price=2100.0, unit="Months",
                PublisherName="Quillon Observability Inc.", ServiceName="Quillon Log Analytics",
                ServiceCategory="Management and Governance", ServiceSubcategory="Observability", SkuId="QUILLON-PRO-MONTHLY",
                SkuPriceId="QUILLON-PRO-MONTHLY", SkuMeter="Subscription", ChargeFrequency="Recurring", region="global",
                ChargeDescription="Quillon Log Analytics Pro plan, monthly subscription (AWS Marketplace)")
    # correction: S3 over-metering 2026-09-08, refunded on the October invoice
    b.add("AWS", "tidemark-data", _ts(dt.date(2026, 9, 8)), _ts(dt.date(2026, 9, 9)), billing_start=dt.date(2026, 10, 1),
          ChargeClass="Correction", billed=-612.40, effective=-612.40, listed=-651.49, contracted=-612.40,
          ServiceName="Amazon Simple Storage Service", ServiceCategory="Storage", ServiceSubcategory="Object Storage",
          region="us-east-1", ResourceId="arn:aws:s3:::tdm-payroll-archive", ResourceName="tdm-payroll-archive",
          ResourceType="Bucket", SkuId="S3-Standard-Storage", PricingQuantity=-28325.6, PricingUnit="GB-Month",
          ConsumedQuantity=-28325.6, ConsumedUnit="GB-Month", ChargeFrequency="Usage-Based",
          ChargeDescription="Correction: S3 Standard storage over-metered on 2026-09-08",
          Tags=_tags(team="data-platform", application="reporting-warehouse", cost_center="CC-300"))


def _azure(b: _Billing, rng: random.Random) -> None:
    vm = dict(ServiceName="Virtual Machines", ServiceCategory="Compute", ServiceSubcategory="Virtual Machines")
    ri_daily = 6570.0 / 3 / 365  # 6.00 per VM-day
    for day in _days():
        d0, d1 = _ts(day), _ts(day + dt.timedelta(days=1))
        wk = 1.0 if day.weekday() < 5 else 0.75
        for i in range(3):
            common = dict(region="westeurope", SkuId="DSv5-D8s-v5", SkuPriceId="westeurope-D8s_v5-Linux", SkuMeter="D8s v5",
                          SkuPriceDetails=json.dumps({"VCPUs": 8, "MemoryGB": 32}), commitment=RI, **vm)
            if i == 2 and dt.date(2026, 10, 12) <= day < dt.date(2026, 10, 26):
                b.add("Microsoft", "tdm-eu-prod", d0, d1, billed=0.0, effective=ri_daily, listed=ri_daily,
                      contracted=ri_daily, CommitmentDiscountStatus="Unused", CommitmentDiscountQuantity=24.0,
                      PricingCategory="Committed", PricingQuantity=24.0, PricingUnit="Hours", ChargeFrequency="Recurring",
                      ResourceId=RI["id"], ResourceType="Reservation",
                      ChargeDescription="Unused reservation hours, Reserved VM Instance D8s v5", **common)
                continue
            b.add("Microsoft", "tdm-eu-prod", d0, d1, billed=0.0, effective=ri_daily, listed=24 * 0.384, contracted=24 * 0.384,
                  CommitmentDiscountStatus="Used", CommitmentDiscountQuantity=24.0, PricingCategory="Committed",
                  PricingQuantity=24.0, PricingUnit="Hours", ConsumedQuantity=24.0, ConsumedUnit="Hours",
                  ListUnitPrice=0.384, ContractedUnitPrice=0.384, ChargeFrequency="Usage-Based",
                  ResourceId=f"/subscriptions/{_SUBS['tdm-eu-prod'][1]}/resourceGroups/portal/providers/Microsoft.Compute/virtualMachines/vm-eu-prod-0{i + 1}",
                  ResourceName=f"vm-eu-prod-0{i + 1}", ResourceType="Virtual machine", ChargeDescription="D8s v5 Linux compute hours",
                  Tags=_tags(team="eu-portal", application="eu-payroll-portal", environment="prod"), **common)
        b.usage("Microsoft", "tdm-eu-dev", d0, d1, quantity=24.0 if day.weekday() < 5 else 8.0, list_price=0.192, unit="Hours",
                region="northeurope", ResourceId=f"/subscriptions/{_SUBS['tdm-eu-dev'][1]}/resourceGroups/dev/providers/Microsoft.Compute/virtualMachines/vm-eu-dev-01",
                ResourceName="vm-eu-dev-01", ResourceType="Virtual machine", SkuId="DSv5-D4s-v5", SkuPriceId="northeurope-D4s_v5-Linux",
                SkuMeter="D4s v5", SkuPriceDetails=json.dumps({"VCPUs": 4, "MemoryGB": 16}), ChargeDescription="D4s v5 Linux compute hours",
                Tags=_tags(team="eu-portal", environment="dev"), **vm)
        b.usage("Microsoft", "tdm-eu-prod", d0, d1, quantity=24.0, list_price=1.46, unit="Hours", region="westeurope",
                ResourceId="/subscriptions/4f1c2a90/resourceGroups/portal/providers/Microsoft.Sql/servers/eu-sql/databases/payroll-eu",
                ResourceName="payroll-eu", ResourceType="SQL database", ServiceName="Azure SQL Database", ServiceCategory="Databases",
                ServiceSubcategory="Relational Databases", SkuId="SQLDB-GP-Gen5-8", SkuPriceId="westeurope-GP-Gen5-vCore",
                SkuMeter="vCore", ChargeDescription="SQL Database General Purpose Gen5 8 vCore",
                Tags=_tags(team="eu-portal", application="eu-payroll-portal", environment="prod"))
        b.usage("Microsoft", "tdm-eu-prod", d0, d1, quantity=round((18000 + 30 * (day - START).days) / 30, 3), list_price=0.0184,
                unit="GB-Month", region="westeurope", ResourceId="tdmeuprodblob", ResourceName="tdmeuprodblob",
                ResourceType="Storage account", ServiceName="Storage", ServiceCategory="Storage", ServiceSubcategory="Object Storage",
                SkuId="Blob-Hot-LRS", SkuPriceId="westeurope-Hot-LRS-Data-Stored", SkuMeter="Hot LRS Data Stored",
                ChargeDescription="Blob storage Hot LRS data stored", Tags=_tags(team="eu-portal", environment="prod"))
        ktok = round(2100 * wk * rng.uniform(0.85, 1.15), 1)
        b.usage("Microsoft", "tdm-eu-prod", d0, d1, quantity=ktok, list_price=0.01, unit="1K Tokens", consumed=ktok * 1000,
                consumed_unit="Tokens", region="westeurope", ServiceName="Azure OpenAI Service",
                ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI", SkuId="AOAI-gpt-4o-output",
                SkuPriceId="westeurope-gpt-4o-Output", SkuMeter="gpt-4o Output Tokens",
                ChargeDescription="Azure OpenAI gpt-4o output tokens",
                Tags=_tags(team="ml", application="payslip-assistant", environment="prod"))
        b.usage("Microsoft", "tdm-eu-prod", d0, d1, quantity=round(820 * wk * rng.uniform(0.9, 1.1), 2), list_price=0.087,
                unit="GB", region="westeurope", ServiceName="Bandwidth", ServiceCategory="Networking",
                ServiceSubcategory="Network Connectivity", SkuId="Bandwidth-Out-Zone1", SkuPriceId="Zone1-Data-Transfer-Out",
                SkuMeter="Standard Data Transfer Out", ChargeDescription="Data transfer out, Zone 1")
        b.usage("Microsoft", "tdm-eu-prod", d0, d1, quantity=round(64 * rng.uniform(0.95, 1.05), 2), list_price=1.25,
                unit="Search Unit Hours", region="westeurope", PublisherName="Ferrocene Search GmbH",
                ServiceName="Ferrocene Managed Search", ServiceCategory="Databases", ServiceSubcategory="Search",
                SkuId="FERRO-SU-STD", SkuPriceId="FERRO-SU-STD-PAYG", SkuMeter="Search Unit",
                ChargeDescription="Ferrocene Managed Search, standard search units (Azure Marketplace)",
                Tags=_tags(team="eu-portal", application="eu-payroll-portal"))
    b.add("Microsoft", "tdm-eu-prod", _ts(dt.date(2026, 9, 1)), _ts(dt.date(2026, 9, 2)), category="Purchase", billed=6570.0,
          effective=0.0, listed=6570.0, contracted=6570.0, commitment=RI, CommitmentDiscountQuantity=3 * 8760.0,
          PricingQuantity=3.0, PricingUnit="Reservations", PricingCategory="Committed", ChargeFrequency="One-Time",
          region="westeurope", ResourceId=RI["id"], ResourceType="Reservation",
          ChargeDescription="Reserved VM Instance, D8s v5, West Europe, 1 year, quantity 3, all upfront", **vm)
    b.add("Microsoft", "tdm-eu-prod", _ts(dt.date(2026, 10, 14)), _ts(dt.date(2026, 10, 15)), category="Adjustment",
          billed=-180.0, effective=-180.0, listed=0.0, contracted=0.0, ServiceName="Azure SQL Database",
          ServiceCategory="Databases", ServiceSubcategory="Relational Databases", region="westeurope",
          ChargeFrequency="One-Time", ChargeDescription="SLA credit: Azure SQL Database availability below 99.99% (2026-10-06)")


def _gcp(b: _Billing, rng: random.Random) -> None:
    gce = dict(ServiceName="Compute Engine", ServiceCategory="Compute", ServiceSubcategory="Virtual Machines")
    vm_list = 0.7769  # n2-standard-16 per hour, europe-west1
    cud_hourly = 0.4895
    for day in _days():
        d0, d1 = _ts(day), _ts(day + dt.timedelta(days=1))
        wk = 1.0 if day.weekday() < 5 else 0.6
        for i in range(4):
            common = dict(region="europe-west1", AvailabilityZone="europe-west1-b", ResourceId=f"projects/tdm-analytics/zones/europe-west1-b/instances/etl-worker-{i + 1}",
                          ResourceName=f"etl-worker-{i + 1}", ResourceType="Compute Instance", SkuId="GCE-N2-Std-16",
                          SkuPriceId="europe-west1-N2-16", SkuMeter="N2 Instance Core and Ram",
                          SkuPriceDetails=json.dumps({"MachineType": "n2-standard-16", "CoreCount": 16}),
                          ChargeDescription="N2 standard 16 instance running in Belgium",
                          Tags=_tags(team="data-platform", application="reporting-warehouse", environment="prod") if i < 3
                          else _tags(team="data-platform"), **gce)
            if i < 3:
                b.add("Google Cloud", "tdm-analytics", d0, d1, billed=0.0, effective=24 * cud_hourly, listed=24 * vm_list,
                      contracted=24 * vm_list, commitment=CUD, CommitmentDiscountStatus="Used", CommitmentDiscountQuantity=24 * 16.0,
                      PricingCategory="Committed", PricingQuantity=24.0, PricingUnit="Hours", ConsumedQuantity=24.0,
                      ConsumedUnit="Hours", ListUnitPrice=vm_list, ContractedUnitPrice=vm_list, ChargeFrequency="Usage-Based", **common)
            else:
                b.usage("Google Cloud", "tdm-analytics", d0, d1, quantity=24.0, list_price=vm_list, unit="Hours", **common)
        growth = 1.4 if day >= dt.date(2026, 11, 1) else 1.0
        tib = round(14 * wk * growth * rng.uniform(0.85, 1.15), 3)
        b.usage("Google Cloud", "tdm-analytics", d0, d1, quantity=tib, list_price=6.25, unit="TiB", region="europe-west1",
                ServiceName="BigQuery", ServiceCategory="Analytics", ServiceSubcategory="Data Processing",
                SkuId="BQ-Analysis-OnDemand", SkuPriceId="europe-west1-BQ-Analysis", SkuMeter="Analysis",
                ChargeDescription="BigQuery analysis (on-demand), TiB scanned",
                Tags=_tags(team="data-platform", application="reporting-warehouse", cost_center="CC-300"))
        b.usage("Google Cloud", "tdm-analytics", d0, d1, quantity=round((61000 + 120 * (day - START).days) / 30, 3),
                list_price=0.020, unit="GiB-Month", region="europe-west1", ResourceId="tdm-analytics-lake",
                ResourceName="tdm-analytics-lake", ResourceType="Bucket", ServiceName="Cloud Storage", ServiceCategory="Storage",
                ServiceSubcategory="Object Storage", SkuId="GCS-Standard-euw1", SkuPriceId="europe-west1-Standard-Storage",
                SkuMeter="Standard Storage", ChargeDescription="Standard Storage Belgium")
        chars = round(9.5e6 * wk * rng.uniform(0.85, 1.15))
        b.usage("Google Cloud", "tdm-ml", d0, d1, quantity=chars / 1000, list_price=0.0375, unit="1K Characters",
                consumed=float(chars), consumed_unit="Characters", region="us-central1", ServiceName="Vertex AI",
                ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI", SkuId="Vertex-Gemini-Output",
                SkuPriceId="us-central1-Gemini-Output-Chars", SkuMeter="Gemini output characters",
                ChargeDescription="Vertex AI Gemini output characters", Tags=_tags(team="ml", application="doc-ocr"))
        b.usage("Google Cloud", "tdm-analytics", d0, d1, quantity=round(95 * rng.uniform(0.9, 1.1), 2), list_price=0.50,
                unit="GiB", region="global", ServiceName="Cloud Logging", ServiceCategory="Management and Governance",
                ServiceSubcategory="Observability", SkuId="Logging-Ingestion", SkuPriceId="global-Log-Volume",
                SkuMeter="Log Volume", ChargeDescription="Cloud Logging ingestion")
    for month in MONTHS:
        hours = (_next_month(month) - month).days * 24
        fee = 3 * cud_hourly * hours
        b.add("Google Cloud", "tdm-analytics", _ts(month), _ts(_next_month(month)), category="Purchase", billed=fee,
              effective=0.0, listed=fee, contracted=fee, commitment=CUD, CommitmentDiscountQuantity=48.0 * hours,
              PricingQuantity=float(hours), PricingUnit="Hours", PricingCategory="Committed", ChargeFrequency="Recurring",
              region="europe-west1", ResourceId=CUD["id"], ResourceType="Commitment",
              ChargeDescription="Commitment v1: N2 cores and RAM in Belgium for 1 year, monthly fee", **gce)
    for month in (dt.date(2026, 10, 1), dt.date(2026, 11, 1)):
        b.add("Google Cloud", "tdm-analytics", _ts(month), _ts(month + dt.timedelta(days=1)), category="Credit",
              billed=-500.0, effective=-500.0, listed=0.0, contracted=0.0, ServiceName="BigQuery", ServiceCategory="Analytics",
              ServiceSubcategory="Data Processing", region="europe-west1", ChargeFrequency="One-Time",
              ChargeDescription="Promotional credit: BigQuery migration program")
    b.add("Google Cloud", "tdm-analytics", _ts(dt.date(2026, 10, 9)), _ts(dt.date(2026, 10, 10)), billing_start=dt.date(2026, 11, 1),
          ChargeClass="Correction", billed=412.30, effective=412.30, listed=412.30, contracted=412.30, ServiceName="BigQuery",
          ServiceCategory="Analytics", ServiceSubcategory="Data Processing", region="europe-west1", SkuId="BQ-Analysis-OnDemand",
          PricingQuantity=65.968, PricingUnit="TiB", ConsumedQuantity=65.968, ConsumedUnit="TiB", ChargeFrequency="Usage-Based",
          ChargeDescription="Correction: BigQuery analysis under-billed on 2026-10-09",
          Tags=_tags(team="data-platform", application="reporting-warehouse", cost_center="CC-300"))


def _taxes(b: _Billing) -> None:
    names = {"AWS": "US sales tax", "Microsoft": "VAT 21% (NL)", "Google Cloud": "US sales tax"}
    for month in CLOSED:
        for provider, rate in _TAX.items():
            base = sum(r["BilledCost"] for r in b.rows if r["ProviderName"] == provider
                       and r["BillingPeriodStart"] == _ts(month) and r["ChargeCategory"] != "Tax")
            tax = round(base * rate, 2)
            b.add(provider, None, _ts(month), _ts(_next_month(month)), category="Tax", billed=tax, effective=tax, listed=tax,
                  contracted=tax, ServiceName="Tax", ServiceCategory="Other", ChargeFrequency="Recurring",
                  ChargeDescription=f"{names[provider]} on {month:%B %Y} charges")


def _check(b: _Billing) -> None:
    for r in b.rows:
        cat = r["ChargeCategory"]
        if cat == "Purchase":
            assert r["EffectiveCost"] == 0 and r["BilledCost"] > 0, r
        if cat == "Usage" and r["ChargeClass"] is None:
            assert r["EffectiveCost"] <= r["ListCost"] + 1e-9, r
            assert r["ContractedCost"] <= r["ListCost"] + 1e-9, r
            assert r["PricingQuantity"] is not None and r["PricingUnit"], r
        if r["CommitmentDiscountStatus"] is not None:
            assert r["CommitmentDiscountId"] and cat == "Usage", r
        if r["CapacityReservationStatus"] is not None:
            assert r["CapacityReservationId"] == CR_ID, r
        assert r["ChargeClass"] in (None, "Correction")
        assert r["ChargePeriodStart"] < r["ChargePeriodEnd"]
        assert r["BillingPeriodStart"] <= r["ChargePeriodStart"] or r["ChargeClass"] == "Correction", r
    # amortization: each SP hour's Used + Unused effective cost equals the hourly commitment
    per_hour: dict = {}
    for r in b.rows:
        if r["CommitmentDiscountId"] == SP["id"] and r["ChargeCategory"] == "Usage":
            per_hour[r["ChargePeriodStart"]] = per_hour.get(r["ChargePeriodStart"], 0.0) + r["EffectiveCost"]
    assert all(abs(v - SP_RATE_HOURLY) < 1e-6 for v in per_hour.values())
    assert any(r["ContractedCost"] < r["ListCost"] for r in b.rows if r["ChargeCategory"] == "Usage")
    assert any(r["PublisherName"] != r["InvoiceIssuerName"] and r["PublisherName"] not in _ACCOUNTS for r in b.rows)


def _billing() -> pa.Table:
    rng = random.Random(SEED)
    b = _Billing()
    _aws(b, rng)
    _azure(b, rng)
    _gcp(b, rng)
    _taxes(b)
    _check(b)
    return b.table()


def _llm_requests() -> pa.Table:
    rng = random.Random(SEED + 1)
    models = [("bedrock", "anthropic.claude-3-5-haiku", 0.8, 4.0, "doc-ocr"),
              ("azure-openai", "gpt-4o", 2.5, 10.0, "payslip-assistant"),
              ("vertex", "gemini-1.5-flash", 0.075, 0.30, "doc-ocr")]
    rows = []
    start = _ts(dt.date(2026, 10, 19))
    for i in range(1500):
        provider, model, pin, pout, feature = models[i % 3]
        ts = start + dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
        tin, tout = rng.randint(400, 4000), rng.randint(50, 800)
        rows.append(dict(request_id=f"req-{i:05d}", ts=ts, provider=provider, model=model, operation="chat", feature=feature,
                         team="ml", user_id=f"u{rng.randint(1, 200):04d}", environment="prod", input_tokens=tin,
                         cached_input_tokens=0, output_tokens=tout, latency_ms=float(rng.randint(300, 4000)),
                         status="ok" if rng.random() > 0.02 else "error", attempt=1, prompt_hash=f"h{rng.randint(1, 900):04d}",
                         cost_usd=round((tin * pin + tout * pout) / 1e6, 8)))
    types = {"input_tokens": pa.int64(), "cached_input_tokens": pa.int64(), "output_tokens": pa.int64(),
             "latency_ms": _F, "attempt": pa.int32(), "cost_usd": _F, "ts": _T}
    return pa.table({k: pa.array([r[k] for r in rows], type=types.get(k, _STR)) for k in rows[0]})


def _gpu_usage() -> pa.Table:
    rng = random.Random(SEED + 2)
    rows = []
    for h in range(14 * 24):
        hour = _ts(dt.date(2026, 11, 3)) + dt.timedelta(hours=h)
        util = rng.uniform(20, 85) if 8 <= hour.hour < 20 else rng.uniform(2, 20)
        rows.append(dict(hour=hour, cluster="gke-ocr-usc1", node_id="gke-ocr-usc1-l4-0", gpu_type="L4", gpu_count=4,
                         deployment="ocr-layout-v2", team="ml", cost_usd=2.84, gpu_util_pct=round(util, 1),
                         gpu_mem_util_pct=round(util * 0.8 + 10, 1), model="layoutlm-ocr"))
    types = {"hour": _T, "gpu_count": pa.int32(), "cost_usd": _F, "gpu_util_pct": _F, "gpu_mem_util_pct": _F}
    return pa.table({k: pa.array([r[k] for r in rows], type=types.get(k, _STR)) for k in rows[0]})


def _model_prices() -> pa.Table:
    rows = [("bedrock", "anthropic.claude-3-5-haiku", 0.8, 0.08, 4.0, "small"),
            ("azure-openai", "gpt-4o", 2.5, 1.25, 10.0, "large"),
            ("vertex", "gemini-1.5-flash", 0.075, 0.01875, 0.30, "small")]
    names = ["provider", "model", "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok", "tier"]
    types = [_STR, _STR, _F, _F, _F, _STR]
    table = pa.table({n: pa.array([r[i] for r in rows], type=t) for i, (n, t) in enumerate(zip(names, types))})
    table = table.append_column("valid_from", pa.array([_ts(dt.date(2026, 1, 1))] * 3, type=_T))
    return table.append_column("valid_to", pa.array([None] * 3, type=_T))


def _budgets() -> pa.Table:
    rows = [
        ("total", None, "cost", 95000.0),
        ("service", "Amazon Elastic Compute Cloud", "cost", 30000.0),
        ("service", "BigQuery", "cost", 2600.0),
        ("service", "AWS Data Transfer", "cost", 4500.0),
        ("team", "data-platform", "cost", 9000.0),
        ("team", "ml", "cost", 12000.0),
    ]
    return pa.table({
        "scope": pa.array([r[0] for r in rows], type=_STR),
        "scope_value": pa.array([r[1] for r in rows], type=_STR),
        "metric": pa.array([r[2] for r in rows], type=_STR),
        "period": pa.array(["month"] * len(rows), type=_STR),
        "amount_usd": pa.array([r[3] for r in rows], type=_F),
        "max_cost_per_request_usd": pa.array([None] * len(rows), type=_F),
    })


def write_company(out_dir: pathlib.Path) -> None:
    """Write Tidemark Payroll's tables as Parquet files, one folder per table."""
    out_dir = pathlib.Path(out_dir)
    tables = {
        "model_prices": _model_prices(),
        "budgets": _budgets(),
        "llm_requests": _llm_requests(),
        "gpu_usage": _gpu_usage(),
        "billing": _billing(),
    }
    for name, table in tables.items():
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd")


if __name__ == "__main__":  # pragma: no cover
    import sys

    write_company(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/blind_focus-data"))
