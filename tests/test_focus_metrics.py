"""The FOCUS metrics of the semantic model, asked in words, against hand-written SQL on FOCUS data.

The warehouse holds the FOCUS 1.0 sample (September 2024), the FOCUS 1.2 columns fixture and a
few FOCUS 1.2 rows written here (March 2025) with what the two fixtures lack: a commitment
purchase, unused commitment and capacity reservation, a tax, a correction, an adjustment, a
marketplace charge and a negotiated discount. Each question goes through `ask()` on the planner
route; its rows must equal those of the SQL written from the metric's FOCUS definition.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest

from assistant.answer import AskContext
from assistant.ask import ask
from tests.conftest import FOCUS_SAMPLE, make_settings, normalized
from warehouse.executor import Executor
from warehouse.ingest import ingest

FOCUS_12 = FOCUS_SAMPLE.parent / "focus-1.2-columns.csv"
MARCH = "ChargePeriodStart >= TIMESTAMP '2025-03-01' AND ChargePeriodStart < TIMESTAMP '2025-04-01'"
AS_OF = date(2025, 4, 15)  # after the data: March is a past month, asked without a comparison
SEPTEMBER = "ChargePeriodStart >= TIMESTAMP '2024-09-01' AND ChargePeriodStart < TIMESTAMP '2024-10-01'"

# Charge lines in FOCUS 1.2 columns, on top of the first row of focus-1.2-columns.csv.
EXTRA_ROWS = [
    # Usage covered by a reserved instance at a negotiated rate: list 100, contracted 80, effective 60.
    {"BilledCost": "0", "EffectiveCost": "60", "ListCost": "100", "ContractedCost": "80", "CommitmentDiscountId": "ri-2",
     "CommitmentDiscountStatus": "Used", "PricingCategory": "Committed", "CapacityReservationId": "", "CapacityReservationStatus": ""},
    # The unused part of that reservation.
    {"BilledCost": "0", "EffectiveCost": "15", "ListCost": "0", "ContractedCost": "0", "CommitmentDiscountId": "ri-2",
     "CommitmentDiscountStatus": "Unused", "PricingCategory": "Committed", "CapacityReservationId": "", "CapacityReservationStatus": ""},
    # Its purchase: billed, amortized away (effective 0), with a list cost that must never count as a saving.
    {"ChargeCategory": "Purchase", "ChargeFrequency": "One-Time", "BilledCost": "500", "EffectiveCost": "0", "ListCost": "600",
     "ContractedCost": "550", "CommitmentDiscountId": "ri-2", "CommitmentDiscountStatus": "", "PricingCategory": "Committed",
     "CapacityReservationId": "", "CapacityReservationStatus": ""},
    # A capacity reservation nobody used.
    {"BilledCost": "7", "EffectiveCost": "7", "ListCost": "7", "ContractedCost": "7", "CommitmentDiscountId": "",
     "CommitmentDiscountStatus": "", "PricingCategory": "Standard", "CapacityReservationId": "cr-2", "CapacityReservationStatus": "Unused"},
    {"ChargeCategory": "Tax", "ChargeFrequency": "One-Time", "BilledCost": "4.2", "EffectiveCost": "4.2", "ListCost": "4.2",
     "ContractedCost": "4.2", "CommitmentDiscountId": "", "CommitmentDiscountStatus": "", "CapacityReservationId": "",
     "CapacityReservationStatus": ""},
    {"ChargeClass": "Correction", "BilledCost": "-2.5", "EffectiveCost": "-2.5", "ListCost": "-2.5", "ContractedCost": "-2.5",
     "CommitmentDiscountId": "", "CommitmentDiscountStatus": "", "CapacityReservationId": "", "CapacityReservationStatus": ""},
    {"ChargeCategory": "Adjustment", "ChargeFrequency": "One-Time", "BilledCost": "-1.5", "EffectiveCost": "-1.5", "ListCost": "0",
     "ContractedCost": "0", "CommitmentDiscountId": "", "CommitmentDiscountStatus": "", "CapacityReservationId": "",
     "CapacityReservationStatus": ""},
    # A third party's product invoiced by the marketplace.
    {"PublisherName": "Fabrikam Software", "BilledCost": "30", "EffectiveCost": "30", "ListCost": "30", "ContractedCost": "30",
     "CommitmentDiscountId": "", "CommitmentDiscountStatus": "", "CapacityReservationId": "", "CapacityReservationStatus": ""},
]


def _write_extra(path) -> None:
    with FOCUS_12.open(newline="") as source:
        reader = csv.DictReader(source)
        base = next(reader)
        fields = reader.fieldnames
    base = {**base, "ChargePeriodStart": "2025-03-10T00:00:00Z", "ChargePeriodEnd": "2025-03-11T00:00:00Z"}
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for i, row in enumerate(EXTRA_ROWS):
            writer.writerow({**base, "ChargeDescription": f"extra line {i}", **row})


@pytest.fixture(scope="module")
def focus_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("focus-metrics")
    extra = root / "focus-1.2-extra.csv"
    _write_extra(extra)
    settings = make_settings(root / "home", query_timeout_s=10, max_rows=1000, memory_limit="1GB", threads=2)
    assert not ingest([FOCUS_SAMPLE, FOCUS_12, extra], settings).refused
    with Executor(settings) as executor:
        yield settings, executor


def _usage(expression: str) -> str:
    return f"{expression} FILTER (WHERE ChargeCategory = 'Usage')"


def _not_purchase(expression: str) -> str:
    return f"{expression} FILTER (WHERE ChargeCategory <> 'Purchase')"


CASES = [
    # (question, metric, hand-written SQL)
    ("billed cost in march 2025", "billed_cost", f"SELECT SUM(BilledCost) FROM billing WHERE {MARCH}"),
    ("effective cost in march 2025", "cost", f"SELECT SUM(EffectiveCost) FROM billing WHERE {MARCH}"),
    ("list cost in march 2025", "list_cost", f"SELECT SUM(ListCost) FROM billing WHERE {MARCH}"),
    ("contracted cost in march 2025", "contracted_cost", f"SELECT SUM(ContractedCost) FROM billing WHERE {MARCH}"),
    ("savings in march 2025", "savings",
     f"SELECT SUM(ListCost - EffectiveCost) FROM billing WHERE ChargeCategory <> 'Purchase' AND {MARCH}"),
    ("savings in september 2024", "savings",
     f"SELECT SUM(ListCost - EffectiveCost) FROM billing WHERE ChargeCategory <> 'Purchase' AND {SEPTEMBER}"),
    ("negotiated savings in march 2025", "negotiated_savings",
     f"SELECT SUM(ListCost - ContractedCost) FROM billing WHERE ChargeCategory <> 'Purchase' AND {MARCH}"),
    ("commitment savings in march 2025", "commitment_savings",
     f"SELECT SUM(ContractedCost - EffectiveCost) FROM billing WHERE ChargeCategory <> 'Purchase' AND {MARCH}"),
    ("effective savings rate in march 2025", "effective_savings_rate",
     f"SELECT SUM(ListCost - EffectiveCost) / SUM(ListCost) FROM billing WHERE ChargeCategory <> 'Purchase' AND {MARCH}"),
    ("ESR by provider in september 2024", "effective_savings_rate",
     f"SELECT ProviderName, {_not_purchase('SUM(ListCost - EffectiveCost)')} / NULLIF({_not_purchase('SUM(ListCost)')}, 0) "
     f"FROM billing WHERE {SEPTEMBER} GROUP BY 1"),
    ("commitment utilization in march 2025", "commitment_utilization",
     f"SELECT (SELECT SUM(EffectiveCost) FROM billing WHERE CommitmentDiscountStatus = 'Used' AND {MARCH}) / "
     f"(SELECT SUM(EffectiveCost) FROM billing WHERE CommitmentDiscountStatus IN ('Used', 'Unused') AND {MARCH})"),
    ("unused commitment cost in march 2025", "unused_commitment_cost",
     f"SELECT SUM(EffectiveCost) FROM billing WHERE CommitmentDiscountStatus = 'Unused' AND {MARCH}"),
    ("unused capacity reservations in march 2025", "unused_reservation_cost",
     f"SELECT SUM(EffectiveCost) FROM billing WHERE CapacityReservationStatus = 'Unused' AND {MARCH}"),
    ("credits in march 2025", "credits", f"SELECT SUM(BilledCost) FROM billing WHERE ChargeCategory = 'Credit' AND {MARCH}"),
    ("credits in september 2024", "credits", f"SELECT SUM(BilledCost) FROM billing WHERE ChargeCategory = 'Credit' AND {SEPTEMBER}"),
    ("taxes in march 2025", "taxes", f"SELECT SUM(BilledCost) FROM billing WHERE ChargeCategory = 'Tax' AND {MARCH}"),
    ("adjustments in march 2025", "adjustments", f"SELECT SUM(BilledCost) FROM billing WHERE ChargeCategory = 'Adjustment' AND {MARCH}"),
    ("commitment purchases in march 2025", "commitment_purchases",
     f"SELECT SUM(BilledCost) FROM billing WHERE ChargeCategory = 'Purchase' AND CommitmentDiscountId IS NOT NULL AND {MARCH}"),
    ("marketplace spend in march 2025", "marketplace_spend",
     f"SELECT SUM(EffectiveCost) FROM billing WHERE PublisherName <> InvoiceIssuerName AND {MARCH}"),
    ("marketplace spend in september 2024", "marketplace_spend",
     f"SELECT SUM(EffectiveCost) FROM billing WHERE PublisherName <> InvoiceIssuerName AND {SEPTEMBER}"),
    ("corrections in march 2025", "corrections", f"SELECT SUM(BilledCost) FROM billing WHERE ChargeClass = 'Correction' AND {MARCH}"),
    ("cost per pricing unit by sku in september 2024", "cost_per_pricing_unit",
     f"SELECT SkuId, {_usage('SUM(EffectiveCost)')} / NULLIF({_usage('SUM(PricingQuantity)')}, 0) "
     f"FROM billing WHERE {SEPTEMBER} GROUP BY 1 HAVING {_usage('SUM(PricingQuantity)')} <> 0"),
    ("unused commitment cost by commitment id in march 2025", "unused_commitment_cost",
     f"SELECT CommitmentDiscountId, SUM(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Unused') AS v FROM billing "
     f"WHERE {MARCH} GROUP BY 1 HAVING v IS NOT NULL"),
    ("marketplace spend by publisher in march 2025", "marketplace_spend",
     f"SELECT PublisherName, SUM(EffectiveCost) FILTER (WHERE PublisherName <> InvoiceIssuerName) AS v FROM billing "
     f"WHERE {MARCH} GROUP BY 1 HAVING v IS NOT NULL"),
    ("billed cost by issuer in september 2024", "billed_cost",
     f"SELECT InvoiceIssuerName, SUM(BilledCost) FROM billing WHERE {SEPTEMBER} GROUP BY 1"),
    ("credits by billing account in march 2025", "credits",
     f"SELECT COALESCE(BillingAccountName, BillingAccountId), SUM(BilledCost) FILTER (WHERE ChargeCategory = 'Credit') AS v "
     f"FROM billing WHERE {MARCH} GROUP BY 1 HAVING v IS NOT NULL"),
    ("cost per consumed unit in march 2025", "cost_per_consumed_unit",
     f"SELECT SUM(EffectiveCost) / SUM(ConsumedQuantity) FROM billing WHERE ChargeCategory = 'Usage' AND {MARCH}"),
]


@pytest.mark.parametrize("question, metric, sql", CASES, ids=[c[0] for c in CASES])
def test_focus_metric_matches_its_definition(focus_warehouse, question, metric, sql):
    settings, executor = focus_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF))
    assert answer.error is None, answer.error
    assert answer.reading["metrics"] == [metric], answer.reading
    expected = executor.run_sql(sql).rows
    width = len(expected[0])  # a total also shows the month before and the change: the asked figure comes first
    assert normalized([row[:width] for row in answer.rows]) == normalized(expected), answer.sql


def test_purchases_are_never_savings(focus_warehouse):
    """By hand: March's lines save 4 (the 1.2 fixture) + 40 (covered) - 15 (unused) + 1.5 (the adjustment: list 0,
    effective -1.5) + 1 (the credit: list 0, effective -1) = 31.5; the purchase's list cost of 600 is not a saving.
    ESR over the list cost of every line but the purchase: 151.7 of usage + 4.2 of tax."""
    settings, executor = focus_warehouse
    context = AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF)
    assert ask("savings in march 2025", context).rows[0][0] == pytest.approx(31.5)
    assert ask("commitment savings in march 2025", context).rows[0][0] == pytest.approx(2.5 + 20 - 15 + 1.5 + 1)
    assert ask("negotiated savings in march 2025", context).rows[0][0] == pytest.approx(1.5 + 20)
    assert ask("effective savings rate in march 2025", context).rows[0][0] == pytest.approx(31.5 / (151.7 + 4.2))
    assert ask("commitment utilization in march 2025", context).rows[0][0] == pytest.approx(70 / 85)


# (publisher, invoice issuer, provider) -> a marketplace charge? Real exports spell one company several ways.
MARKETPLACE_CASES = [
    ("Amazon Web Services", "Amazon Web Services, Inc.", "AWS", False),
    ("AWS", "Amazon Web Services, Inc.", "AWS", False),
    ("Google", "Google LLC", "Google Cloud", False),
    ("Anthropic", "Anthropic, PBC", "Anthropic", False),
    ("Microsoft", "Microsoft", "Microsoft", False),
    ("Vectorly Inc.", "AWS", "AWS", True),
    ("Fabrikam Software", "Microsoft Corporation", "Microsoft", True),
    ("Quillon Observability Inc.", "Amazon Web Services, Inc.", "AWS", True),
    (None, "AWS", "AWS", False),
    ("Fabrikam Software", None, "Microsoft", True),
]


@pytest.mark.parametrize("publisher, issuer, provider, marketplace", MARKETPLACE_CASES)
def test_marketplace_is_another_company_than_issuer_and_provider(publisher, issuer, provider, marketplace):
    import duckdb
    from sqlglot import exp

    from assistant.semantic import load_semantic_model

    condition = load_semantic_model().metrics["marketplace_spend"].expression.find(exp.Filter).expression.this.sql("duckdb")
    row = duckdb.sql(
        f"SELECT COALESCE(({condition}), false) FROM (SELECT ?::VARCHAR AS PublisherName, ?::VARCHAR AS InvoiceIssuerName, "
        "?::VARCHAR AS ProviderName)",
        params=[publisher, issuer, provider],
    ).fetchall()
    assert row == [(marketplace,)]


SEPTEMBER_BY_TAG = f"SELECT Tags[$key] AS v, SUM(EffectiveCost) FROM billing WHERE {SEPTEMBER} GROUP BY 1"
# (question, the tag key of the FOCUS sample it must read): any key of the bill is a dimension.
TAG_CASES = [
    ("cost by application in september 2024", "application"),
    ("cost by the application tag in september 2024", "application"),
    ("spend per business unit tag in september 2024", "business_unit"),
    ("cost by cost center in september 2024", "CostCenter"),  # the bill's CostCenter tag, not the team tag
    ("cost by tag project in september 2024", "Project"),
]


@pytest.mark.parametrize("question, key", TAG_CASES, ids=[c[0] for c in TAG_CASES])
def test_any_tag_key_of_the_bill_is_a_dimension(focus_warehouse, question, key):
    settings, executor = focus_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF))
    assert answer.error is None, answer.error
    expected = executor.query(SEPTEMBER_BY_TAG.replace("$key", f"'{key}'")).rows
    assert normalized(answer.rows) == normalized(expected), answer.sql
    assert None in {row[0] for row in answer.rows}  # untagged spend is its own group, not left out


def test_a_tag_key_the_bill_lacks_is_refused_naming_the_keys(focus_warehouse):
    settings, executor = focus_warehouse
    answer = ask("cost by the flavor tag in september 2024", AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF))
    assert answer.error is not None and "'flavor'" in answer.error.message
    assert "application" in answer.error.message and "and 21 more" in answer.error.message  # 33 keys: 12 named


COVERED = ("COALESCE(SUM(EffectiveCost) FILTER (WHERE ChargeCategory = 'Usage' AND Tags[$key] <> ''), 0)"
           " / NULLIF(SUM(EffectiveCost) FILTER (WHERE ChargeCategory = 'Usage'), 0)")
# (question, the tag key, grouped by): the share of usage cost on lines that carry the key, by hand; a group
# without usage cost has no coverage and is left out.
COVERAGE_CASES = [
    ("application tag coverage in september 2024", "application", None),
    ("what percent of cost had an application tag in september 2024?", "application", None),
    ("cost center tag coverage by provider in september 2024", "CostCenter", "ProviderName"),
    ("team tag coverage by service in september 2024", "team", "ServiceName"),  # no team tags: 0%, never left out
]


@pytest.mark.parametrize("question, key, by", COVERAGE_CASES, ids=[c[0] for c in COVERAGE_CASES])
def test_tag_coverage_is_the_share_of_cost_carrying_the_key(focus_warehouse, question, key, by):
    settings, executor = focus_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF))
    assert answer.error is None, answer.error
    covered = COVERED.replace("$key", f"'{key}'")
    if by is None:
        expected = executor.query(f"SELECT {covered} FROM billing WHERE {SEPTEMBER}").rows
        assert answer.rows[0][0] == pytest.approx(expected[0][0]), answer.sql
    else:
        expected = executor.query(f"SELECT {by}, {covered} FROM billing WHERE {SEPTEMBER} GROUP BY 1 HAVING ({covered}) IS NOT NULL").rows
        assert normalized(answer.rows) == normalized(expected), answer.sql


def test_tag_coverage_without_a_key_asks_which(focus_warehouse):
    settings, executor = focus_warehouse
    answer = ask("tag coverage in september 2024", AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF))
    assert answer.error is not None and "say which" in answer.error.message and "application" in answer.error.message


SAVINGS_PLANS = f"CommitmentDiscountType = 'Savings Plan' AND {SEPTEMBER}"
# (question, hand SQL or None when refused): a commitment metric of one kind is that commitment type's, never the
# savings metric or a service the kind's words look like.
COMMITMENT_TYPE_CASES = [
    ("savings plan utilization in september 2024",
     "SELECT SUM(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Used') / NULLIF(SUM(EffectiveCost) FILTER "
     f"(WHERE CommitmentDiscountStatus IN ('Used', 'Unused')), 0) FROM billing WHERE {SAVINGS_PLANS}"),
    ("commitment savings from savings plans in september 2024",
     f"SELECT SUM(ContractedCost - EffectiveCost) FROM billing WHERE ChargeCategory <> 'Purchase' AND {SAVINGS_PLANS}"),
    ("RI utilization in september 2024", None),  # the sample has savings plans only
]


@pytest.mark.parametrize("question, sql", COMMITMENT_TYPE_CASES, ids=[c[0] for c in COMMITMENT_TYPE_CASES])
def test_a_commitment_kind_filters_the_commitment_type(focus_warehouse, question, sql):
    settings, executor = focus_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF))
    if sql is None:
        assert answer.error is not None and "no reservation commitments" in answer.error.message
        return
    assert answer.error is None, answer.error
    assert len(answer.reading["metrics"]) == 1 and "commitment_type is Savings Plan" in answer.reading["filters"], answer.reading
    assert normalized(answer.rows[:1])[0][:1] == normalized(executor.query(sql).rows)[0], answer.sql


UNTAGGED = "(Tags IS NULL OR cardinality(Tags) = 0)"
# (question, hand-written SQL): untagged means no tag at all; a vendor's name before an acronym and a cloud's name
# are the service and the provider.
NAMING_CASES = [
    ("untagged spend by service in september 2024",
     f"SELECT ServiceName, SUM(EffectiveCost) FROM billing WHERE {UNTAGGED} AND {SEPTEMBER} GROUP BY 1"),
    ("how much spend had no tags at all in september 2024?", f"SELECT SUM(EffectiveCost) FROM billing WHERE {UNTAGGED} AND {SEPTEMBER}"),
    ("top 3 untagged resources by cost in september 2024",
     f"SELECT ResourceId, SUM(EffectiveCost) AS c FROM billing WHERE {UNTAGGED} AND {SEPTEMBER} AND ResourceId IS NOT NULL "
     "GROUP BY 1 ORDER BY c DESC, 1 LIMIT 3"),
    ("azure spend by service in september 2024",
     f"SELECT ServiceName, SUM(EffectiveCost) FROM billing WHERE ProviderName = 'Microsoft' AND {SEPTEMBER} GROUP BY 1"),
    ("amazon vpc cost in september 2024",
     f"SELECT SUM(EffectiveCost) FROM billing WHERE ServiceName = 'Amazon Virtual Private Cloud' AND {SEPTEMBER}"),
    ("cost by tagging in september 2024",
     f"SELECT CASE WHEN {UNTAGGED} THEN 'untagged' ELSE 'tagged' END, SUM(EffectiveCost) FROM billing WHERE {SEPTEMBER} GROUP BY 1"),
    # the groups' own values beside a breakdown are read ("standard vs committed"); "usage cost" is the usage lines
    ("usage cost by pricing category (standard vs committed) in september 2024",
     f"SELECT PricingCategory, SUM(EffectiveCost) FROM billing WHERE ChargeCategory = 'Usage' AND {SEPTEMBER} GROUP BY 1"),
    # a unit of the bill's own: its quantity (never summed across units) or the cost per one of it
    ("how many EC2 hours did we pay for in september 2024?",
     f"SELECT SUM(PricingQuantity) FROM billing WHERE PricingUnit = 'Hours' AND ServiceName = 'Amazon Elastic Compute Cloud' AND {SEPTEMBER}"),
    ("what did storage cost us per GB-month in september 2024?",
     f"SELECT SUM(EffectiveCost) FILTER (WHERE ChargeCategory = 'Usage') / SUM(PricingQuantity) FILTER (WHERE ChargeCategory = 'Usage') "
     f"FROM billing WHERE PricingUnit IN ('GB Months', 'GB-Months', 'GB/Month') AND ServiceCategory = 'Storage' AND {SEPTEMBER}"),
    ("how many GB did we consume in september 2024, by service?",
     f"SELECT ServiceName, SUM(ConsumedQuantity) FROM billing WHERE ConsumedUnit = 'GB' AND {SEPTEMBER} GROUP BY 1"),
    # "including untagged" keeps every row: the untagged group beside the others, not a filter
    ("cost by application in september 2024, including untagged",
     f"SELECT Tags['application'], SUM(EffectiveCost) FROM billing WHERE {SEPTEMBER} GROUP BY 1"),
]


@pytest.mark.parametrize("question, sql", NAMING_CASES, ids=[c[0] for c in NAMING_CASES])
def test_untagged_and_vendor_names_read_as_the_bill_says(focus_warehouse, question, sql):
    settings, executor = focus_warehouse
    answer = ask(question, AskContext(settings=settings, executor=executor, route="planner", as_of=AS_OF))
    assert answer.error is None, answer.error
    expected = executor.query(sql).rows
    assert normalized([row[: len(expected[0])] for row in answer.rows]) == normalized(expected), answer.sql
