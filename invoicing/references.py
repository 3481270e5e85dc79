"""Structured payment references (EN 16931 BT-83, DOMAIN.md rule 42).

A Belgian seller's invoices carry the Belgian structured communication
(+++123/4567/89012+++, OGM-VCS: ten digits and a mod-97 check), which Belgian banks
match automatically; other sellers' an ISO 11649 creditor reference (RF + check
digits + the number's characters), which SEPA banks carry end to end. Both are made
from the invoice's series, year and sequence number, so they are unique per invoice
and the same every time the invoice is read.
"""

from stdnum.be import ogm_vcs
from stdnum.iso7064 import mod_97_10

from invoicing.models import Invoice

# The first digit of a Belgian reference: which series the number belongs to.
_SERIES_DIGIT = {Invoice.INVOICE: "1", Invoice.CREDIT_NOTE: "2"}
_SERIES_CODE = {Invoice.INVOICE: "INV", Invoice.CREDIT_NOTE: "RINV"}


def payment_reference(*, move_type: str, year: int, number: int, seller_country: str) -> str:
    """The invoice's structured payment reference."""
    if seller_country == "BE":
        # 1 digit series + 2 digits year + 7 digits number, then the 2 check digits.
        base = f"{_SERIES_DIGIT[move_type]}{year % 100:02d}{number % 10_000_000:07d}"
        digits = base + ogm_vcs.calc_check_digits(base)
        return f"+++{ogm_vcs.format(digits)}+++"
    body = f"{_SERIES_CODE[move_type]}{year}{number:05d}"
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def epc_reference(reference: str) -> str:
    """The reference as the EPC QR code carries it: an RF reference as is, the Belgian
    one as its 12 digits (banks read it back as structured communication)."""
    if reference.startswith("+++"):
        return ogm_vcs.compact(reference)
    return reference
