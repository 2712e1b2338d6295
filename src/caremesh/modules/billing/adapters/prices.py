"""The price list data file (synthetic, versioned in the repository)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib import resources

import orjson

from caremesh.modules.billing.domain.charge import PriceList


@cache
def load_price_list() -> PriceList:
    raw = orjson.loads(resources.files(__package__).joinpath("price_list.json").read_bytes())
    return PriceList(
        version=raw["version"],
        currency=raw["currency"],
        default_unit_price=Decimal(raw["default_unit_price"]),
        unit_prices={code: Decimal(item["price"]) for code, item in raw["unit_prices"].items()},
    )
