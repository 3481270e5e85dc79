"""How invoices name their VAT categories and print account numbers (PDF and pages)."""

from decimal import Decimal

from django import template
from stdnum import iban as stdnum_iban

register = template.Library()


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%" if rate == rate.to_integral() else f"{rate:.2f}%"


def vat_text(*, category: str, rate: Decimal, reason: str) -> str:
    """A VAT category in words (UNCL5305 as EN 16931 uses it, DOMAIN.md rule 43)."""
    if category == "AE":
        return "Reverse charge"
    if category == "E":
        return f"Exempt: {reason}" if reason else "Exempt"
    if category == "Z":
        return "Zero rated (VAT 0%)"
    return f"VAT {_rate(rate)}"


@register.filter
def tax_group_label(group) -> str:
    """A tax group's row: "VAT 21%", "Reverse charge", "Exempt: <reason>"."""
    return vat_text(category=group.category, rate=group.rate, reason=group.exemption_reason)


@register.filter
def line_vat(line) -> str:
    """A line's tax cell: its rate for standard VAT ("21%"), else "Zero rated", "Exempt"
    or "Reverse charge"."""
    category = line.vat_category or "S"
    if category == "S":
        return _rate(line.tax_rate)
    return {"Z": "Zero rated", "E": "Exempt", "AE": "Reverse charge"}.get(category, category)


@register.filter
def iban(value: str) -> str:
    """An IBAN in groups of four, as printed (BE68 5390 0754 7034)."""
    return stdnum_iban.format(value) if value else ""


@register.filter
def reverse_charge_mention(reason: str) -> str:
    """The mention a reverse-charged invoice prints (rule 43): "Reverse charge", with the
    reason when there is one (which often starts with those words already)."""
    if not reason:
        return "Reverse charge"
    if reason.lower().startswith("reverse charge"):
        return reason
    return f"Reverse charge: {reason}"
