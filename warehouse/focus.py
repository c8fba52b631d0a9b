"""FOCUS versions: which columns each version added, and which version an export is.

The billing contract (`warehouse.contract.BILLING`) declares every FOCUS 1.2
column; FOCUS 1.0's columns are all still in 1.2, so that one list covers
1.0, 1.1 and 1.2. This module only adds *when* a column arrived.

An export's FOCUS version is what it says it is when it carries a version
column (`FocusVersion`, `x_FocusVersion`, any spelling that `column_key` folds to
one of `VERSION_COLUMN_KEYS`): its distinct values. Otherwise it is inferred
from the FOCUS columns the export has: the earliest of 1.0, 1.1 and 1.2 that
defines all of them (only 1.0 columns: "1.0"; any column 1.1 added: "1.1"; any
column 1.2 added: "1.2"). An export that leaves out every optional column its
version added reads as an earlier version, so an inferred version is a lower bound.

>>> infer_version(["BilledCost", "ServiceName", "SkuPriceDetails"])
'1.1'
>>> infer_version(["BilledCost", "x_InvoiceId"])
'1.2'
>>> is_version_column("x_FOCUSVersion"), is_version_column("FocusVersion"), is_version_column("Version")
(True, True, False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from warehouse.contract import column_key

VERSIONS = ("1.0", "1.1", "1.2")

# Columns each FOCUS version added (its "Introduced (version)"); everything else in BILLING is FOCUS 1.0.
ADDED: dict[str, tuple[str, ...]] = {
    "1.1": (
        "CapacityReservationId",
        "CapacityReservationStatus",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountUnit",
        "ServiceSubcategory",
        "SkuMeter",
        "SkuPriceDetails",
    ),
    "1.2": (
        "BillingAccountType",
        "InvoiceId",
        "PricingCurrency",
        "PricingCurrencyContractedUnitPrice",
        "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice",
        "SubAccountType",
    ),
}

VERSION_COLUMN_KEYS = frozenset({"focusversion", "xfocusversion"})

# Parquet key-value metadata of a billing lake file: the version inferred from its source's columns.
METADATA_KEY = "focus_version"

_ADDED_IN = {column_key(name): version for version, names in ADDED.items() for name in names}


def is_version_column(name: str) -> bool:
    """Whether a column states the export's FOCUS version."""
    return column_key(name) in VERSION_COLUMN_KEYS


def added_in(name: str) -> str | None:
    """The FOCUS version that added column `name` (also as `x_name`), or None for a 1.0 or non-FOCUS column."""
    return _ADDED_IN.get(column_key(re.sub(r"^x_", "", name, flags=re.IGNORECASE)))


def infer_version(columns: Iterable[str]) -> str:
    """The earliest FOCUS version that defines every FOCUS column in `columns`."""
    found = {version for name in columns if (version := added_in(name)) is not None}
    return max(found, key=VERSIONS.index) if found else VERSIONS[0]
