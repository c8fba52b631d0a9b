"""The six warehouse tables of DATA-CONTRACT.md, declared once.

Every importer, the catalog, the demo generator and the guard read these
declarations; nothing else spells out a table's columns.

>>> TABLES["llm_requests"].column("input_tokens").type
'BIGINT'
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class TableContract:
    name: str
    description: str
    columns: tuple[Column, ...]
    time_column: str | None
    key: str | None = None

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.required)


def _columns(required: bool, spec: str) -> tuple[Column, ...]:
    """Columns from compact `name TYPE` lines; a trailing `-- text` describes one."""
    columns = []
    for line in spec.strip().splitlines():
        line, _, description = line.partition("--")
        name, type_ = line.split(None, 1)
        columns.append(Column(name, type_.strip(), required, description.strip()))
    return tuple(columns)


BILLING = TableContract(
    name="billing",
    description="Cloud and vendor invoices, one row per charge line (FOCUS 1.2).",
    time_column="ChargePeriodStart",
    columns=_columns(
        True,
        """
        BilledCost DOUBLE -- what the invoice says
        EffectiveCost DOUBLE -- amortized cost after discounts; the default cost metric
        ListCost DOUBLE -- at public list price
        ContractedCost DOUBLE -- at negotiated price
        BillingAccountId VARCHAR
        BillingAccountName VARCHAR
        BillingCurrency VARCHAR -- ISO 4217
        BillingPeriodStart TIMESTAMP
        BillingPeriodEnd TIMESTAMP
        ChargePeriodStart TIMESTAMP -- the time a charge belongs to
        ChargePeriodEnd TIMESTAMP
        ChargeCategory VARCHAR -- Usage, Purchase, Tax, Credit, Adjustment
        ChargeClass VARCHAR -- NULL or Correction
        ChargeDescription VARCHAR
        InvoiceIssuerName VARCHAR
        ProviderName VARCHAR
        PublisherName VARCHAR
        ServiceCategory VARCHAR
        ServiceName VARCHAR
        PricingQuantity DOUBLE
        PricingUnit VARCHAR
        """,
    )
    # Every other column of FOCUS 1.0, 1.1 and 1.2 (warehouse.focus says which version added which).
    + _columns(
        False,
        """
        BillingAccountType VARCHAR
        SubAccountId VARCHAR
        SubAccountName VARCHAR
        SubAccountType VARCHAR
        ServiceSubcategory VARCHAR
        RegionId VARCHAR
        RegionName VARCHAR
        AvailabilityZone VARCHAR
        ResourceId VARCHAR
        ResourceName VARCHAR
        ResourceType VARCHAR
        SkuId VARCHAR
        SkuPriceId VARCHAR
        SkuPriceDetails VARCHAR -- JSON object text (FOCUS KeyValueFormat), kept as written
        SkuMeter VARCHAR
        ConsumedQuantity DOUBLE
        ConsumedUnit VARCHAR
        ListUnitPrice DOUBLE
        ContractedUnitPrice DOUBLE
        PricingCategory VARCHAR
        PricingCurrency VARCHAR -- the currency prices are denominated in, when not BillingCurrency
        PricingCurrencyListUnitPrice DOUBLE
        PricingCurrencyContractedUnitPrice DOUBLE
        PricingCurrencyEffectiveCost DOUBLE
        ChargeFrequency VARCHAR
        InvoiceId VARCHAR
        CommitmentDiscountId VARCHAR
        CommitmentDiscountName VARCHAR
        CommitmentDiscountCategory VARCHAR
        CommitmentDiscountType VARCHAR
        CommitmentDiscountStatus VARCHAR
        CommitmentDiscountQuantity DOUBLE
        CommitmentDiscountUnit VARCHAR
        CapacityReservationId VARCHAR
        CapacityReservationStatus VARCHAR
        Tags MAP(VARCHAR, VARCHAR) -- keys team, feature, environment, model carry AI attribution
        """,
    ),
)

LLM_REQUESTS = TableContract(
    name="llm_requests",
    description="One row per LLM or embedding call.",
    time_column="ts",
    key="request_id",
    columns=_columns(
        True,
        """
        request_id VARCHAR -- unique; the de-duplication key
        ts TIMESTAMP -- request start
        provider VARCHAR
        model VARCHAR
        operation VARCHAR
        input_tokens BIGINT -- includes cached input tokens
        output_tokens BIGINT -- includes reasoning tokens
        """,
    )
    + _columns(
        False,
        """
        feature VARCHAR
        team VARCHAR
        user_id VARCHAR
        environment VARCHAR
        cached_input_tokens BIGINT
        latency_ms DOUBLE
        status VARCHAR -- ok, error, timeout, rate_limited
        attempt INTEGER -- 1 for the first try, 2+ for retries
        prompt_hash VARCHAR
        cost_usd DOUBLE -- as logged; NULL is priced from model_prices (else the price catalog) at ingest
        cache_write_input_tokens BIGINT -- input tokens written to the provider's prompt cache
        reasoning_output_tokens BIGINT -- the part of output_tokens spent on reasoning
        """,
    ),
)

GPU_USAGE = TableContract(
    name="gpu_usage",
    description="One row per GPU node and hour (self-hosted inference).",
    time_column="hour",
    columns=_columns(
        True,
        """
        hour TIMESTAMP -- start of the hour
        cluster VARCHAR
        node_id VARCHAR
        gpu_type VARCHAR
        gpu_count INTEGER
        cost_usd DOUBLE -- the node's cost for the hour
        gpu_util_pct DOUBLE -- 0-100
        """,
    )
    + _columns(
        False,
        """
        deployment VARCHAR -- NULL when unallocated
        team VARCHAR
        gpu_mem_util_pct DOUBLE
        model VARCHAR -- the model the deployment serves
        """,
    ),
)

MODEL_PRICES = TableContract(
    name="model_prices",
    description="Price per million tokens, with validity.",
    time_column="valid_from",
    columns=_columns(
        True,
        """
        provider VARCHAR
        model VARCHAR
        input_usd_per_mtok DOUBLE
        output_usd_per_mtok DOUBLE
        valid_from TIMESTAMP
        """,
    )
    + _columns(
        False,
        """
        cached_input_usd_per_mtok DOUBLE -- NULL: same as input
        tier VARCHAR -- small, medium, large
        valid_to TIMESTAMP -- NULL: still valid
        cache_write_usd_per_mtok DOUBLE -- NULL: same as input
        batch_discount_pct DOUBLE -- the provider's batch API discount, 0-100
        """,
    ),
)

BUDGETS = TableContract(
    name="budgets",
    description="Cost boundaries per scope and calendar month.",
    time_column=None,
    columns=_columns(
        True,
        """
        scope VARCHAR -- total, team, feature, model, service
        metric VARCHAR -- cost, inference_cost or gpu_cost
        period VARCHAR -- month
        amount_usd DOUBLE
        """,
    )
    + _columns(
        False,
        """
        scope_value VARCHAR -- NULL for total
        max_cost_per_request_usd DOUBLE
        """,
    ),
)

VENDOR_USAGE = TableContract(
    name="vendor_usage",
    description="The providers' own usage and cost reports: one row per provider, period, model, project and line item.",
    time_column="period_start",
    key="row_key",
    columns=_columns(
        True,
        """
        period_start TIMESTAMP -- the report's bucket
        period_end TIMESTAMP
        provider VARCHAR -- openai, anthropic, ...
        source VARCHAR -- the importer's format name
        row_key VARCHAR -- stable hash of the report row's key; the de-duplication key
        """,
    )
    + _columns(
        False,
        """
        model VARCHAR -- NULL when the report does not split by model
        project VARCHAR -- project id / workspace id
        api_key_id VARCHAR
        line_item VARCHAR -- the cost report's line item / cost type; NULL on usage rows
        input_tokens BIGINT -- includes cached and cache-write input tokens
        cached_input_tokens BIGINT
        cache_write_input_tokens BIGINT
        output_tokens BIGINT
        requests BIGINT
        cost_usd DOUBLE -- NULL for usage-only rows
        """,
    ),
)

TABLES: dict[str, TableContract] = {
    table.name: table for table in (BILLING, LLM_REQUESTS, GPU_USAGE, MODEL_PRICES, BUDGETS, VENDOR_USAGE)
}

# Not loaded by `finops ingest`: the assistant writes it, one row per language-model call it makes.
ASSISTANT_USAGE = TableContract(
    name="assistant_usage",
    description="The assistant's own language-model calls: one row per call, tokens from the API's usage, priced.",
    time_column="called_at",
    columns=_columns(
        True,
        """
        called_at TIMESTAMP -- when the call ended, UTC
        question_id VARCHAR -- the question the call served
        operation VARCHAR -- chat or embeddings
        model VARCHAR
        input_tokens BIGINT
        output_tokens BIGINT
        cost_usd DOUBLE
        """,
    )
    + _columns(
        False,
        """
        question VARCHAR
        channel VARCHAR -- cli, ui, slack, notebook, eval
        """,
    ),
)

# What queries may read: the contract tables and the assistant's own usage.
QUERYABLE: dict[str, TableContract] = {**TABLES, ASSISTANT_USAGE.name: ASSISTANT_USAGE}


def column_key(name: str) -> str:
    """The matching key of a column name: a file's columns match the contract's ignoring case and underscores.

    >>> column_key("Billed_Cost"), column_key("billedcost")
    ('billedcost', 'billedcost')
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())
