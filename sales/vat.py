"""The VAT category of a line (DOMAIN.md rule 43, EN 16931 BT-151).

A line takes its product's category, rate and exemption reason. A service sold to a
business with a VAT number of another EU country than the seller's is reverse charged
(AE at 0%, with the reason printed on the invoice): the place of supply of a B2B service
is the buyer's country (Art. 44 and 196 of Directive 2006/112/EC), where the buyer
accounts for the VAT. Goods (consumables) keep their category: an intra-community
supply of goods (category K) is outside what Billable sells. Exempt (E) lines stay
exempt. A standard line at 0% is Zero rated (`vat_normalized`).
"""

from dataclasses import dataclass
from decimal import Decimal

from core.identifiers import EU_COUNTRIES, vat_country
from core.models import Company
from sales.models import (
    REVERSE_CHARGE_REASON,
    Customer,
    Product,
    VatCategory,
    vat_normalized,
)

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class LineVat:
    category: str
    rate: Decimal
    reason: str


def is_reverse_charged(*, customer: Customer, seller_country: str) -> bool:
    """Rule 43's buyer: a VAT number of an EU member state other than the seller's."""
    if not customer.vat:
        return False
    buyer_country = vat_country(customer.vat) or str(customer.country or "")
    return (
        buyer_country in EU_COUNTRIES
        and seller_country in EU_COUNTRIES
        and buyer_country != seller_country
    )


def line_vat(
    *,
    product: Product,
    customer: Customer,
    category: str,
    rate: Decimal,
    reason: str = "",
    seller_country: str | None = None,
) -> LineVat:
    """The category, rate and reason a line of `product` sold to `customer` carries."""
    category = vat_normalized(category, rate)
    if seller_country is None:
        seller_country = str(Company.load().country)
    if (
        product.type == Product.SERVICE
        and category in (VatCategory.STANDARD, VatCategory.ZERO)
        and is_reverse_charged(customer=customer, seller_country=seller_country)
    ):
        return LineVat(VatCategory.REVERSE_CHARGE, ZERO, REVERSE_CHARGE_REASON)
    if category == VatCategory.REVERSE_CHARGE and not reason:
        reason = REVERSE_CHARGE_REASON
    return LineVat(category, rate, reason if category in ("E", "AE") else "")
