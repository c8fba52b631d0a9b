"""FOCUS 1.2 charge lines: the accounts that issue them and a builder for one daily line.

Every line is daily (ChargePeriodStart = the day at 00:00, ChargePeriodEnd = the
next day) inside a calendar-month billing period, in USD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from warehouse.demo.schema import TABLES

BILLING_COLUMNS = TABLES["billing"].column_names


@dataclass(frozen=True)
class Account:
    """Who issues a charge line and which (sub) account it is booked to."""

    provider: str
    billing_account_id: str
    billing_account_name: str
    sub_account_id: str | None
    sub_account_name: str | None
    invoice_prefix: str
    publisher: str | None = None
    invoice_issuer: str | None = None


def _aws(sub_id: str, sub_name: str) -> Account:
    return Account("AWS", "310958442817", "Acme AI (payer)", sub_id, sub_name, "EUINUS26",
                   "Amazon Web Services", "Amazon Web Services, Inc.")


AWS_PROD = _aws("482910337165", "acme-prod")
AWS_DATA = _aws("559301284476", "acme-data")
AWS_ML = _aws("704118293305", "acme-ml")
AWS_DEV = _aws("918273645501", "acme-dev")
GCP_ANALYTICS = Account("Google Cloud", "01A2B3-C4D5E6-F7A8B9", "Acme AI GCP", "acme-analytics-prod",
                        "acme-analytics", "GCP", "Google", "Google LLC")


def vendor_account(provider: str, project_id: str | None, project_name: str | None) -> Account:
    """An AI API vendor's organisation, with one project (sub account) per team."""
    if provider == "openai":
        return Account("OpenAI", "org-q7Xk2mAcmeAI", "Acme AI", project_id, project_name, "OAI",
                       "OpenAI", "OpenAI, L.L.C.")
    if provider == "anthropic":
        return Account("Anthropic", "acme-ai-7f3e21", "Acme AI", project_id, project_name, "ANT",
                       "Anthropic", "Anthropic, PBC")
    raise ValueError(f"{provider} does not invoice")


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """The calendar month containing `day`, as [start, end) timestamps."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, datetime.min.time()), datetime.combine(following, datetime.min.time())


def charge_line(day: date, account: Account, *, billed: float, effective: float | None = None,
                list_cost: float | None = None, contracted: float | None = None,
                category: str = "Usage", **fields: object) -> dict[str, object]:
    """One FOCUS row for `day`; costs default to `billed`, other columns to NULL.

    `fields` are further FOCUS columns by their own names (ServiceName=..., Tags=...).
    """
    unknown = set(fields) - set(BILLING_COLUMNS)
    if unknown:
        raise ValueError(f"not FOCUS columns: {sorted(unknown)}")
    period_start, period_end = month_bounds(day)
    charge_start = datetime.combine(day, datetime.min.time())
    line: dict[str, object] = dict.fromkeys(BILLING_COLUMNS)
    line.update(
        BilledCost=billed,
        EffectiveCost=billed if effective is None else effective,
        ListCost=billed if list_cost is None else list_cost,
        ContractedCost=(billed if list_cost is None else list_cost) if contracted is None else contracted,
        BillingAccountId=account.billing_account_id,
        BillingAccountName=account.billing_account_name,
        BillingCurrency="USD",
        BillingPeriodStart=period_start,
        BillingPeriodEnd=period_end,
        ChargePeriodStart=charge_start,
        ChargePeriodEnd=charge_start + timedelta(days=1),
        ChargeCategory=category,
        InvoiceIssuerName=account.invoice_issuer or account.provider,
        ProviderName=account.provider,
        PublisherName=account.publisher or account.provider,
        SubAccountId=account.sub_account_id,
        SubAccountName=account.sub_account_name,
        InvoiceId=f"{account.invoice_prefix}-{day:%Y%m}",
        ChargeFrequency="Usage-Based" if category == "Usage" else None,
    )
    line.update(fields)
    return line
