"""What the UBL and the CII renderers say alike: the codes, the references they fall
back on, and how a figure of the document is written (DOMAIN.md rule 44: unchanged)."""

from decimal import Decimal

from core.naming import CREDIT_NOTE
from invoicing.documents import DocumentLine, InvoiceDocument, Party

# EN 16931 core, Peppol BIS Billing 3.0 (BT-24, BT-23)
PEPPOL_CUSTOMIZATION_ID = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
)
PEPPOL_PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
EN16931_GUIDELINE_ID = "urn:cen.eu:en16931:2017"

# UNTDID 1001 (BT-3)
COMMERCIAL_INVOICE = "380"
CREDIT_NOTE_CODE = "381"

# UNCL 4461 (BT-81): SEPA credit transfer when we have an account, else "not defined"
# (30 and 58 require the account, BR-61).
SEPA_CREDIT_TRANSFER = "58"
INSTRUMENT_NOT_DEFINED = "1"

# UNCL 5305 (BT-118, BT-151)
STANDARD = "S"
REVERSE_CHARGE = "AE"
EXEMPT = "E"
# The exemption reason codes (BT-121) we can name for sure: reverse charge.
EXEMPTION_CODES = {REVERSE_CHARGE: "VATEX-EU-AE"}
# Categories whose breakdown states why no VAT is charged (BT-120 / BT-121).
WITH_EXEMPTION_REASON = {EXEMPT, REVERSE_CHARGE}

CENT = Decimal("0.01")


def require_issued(document: InvoiceDocument) -> None:
    """An e-invoice is a posted invoice: a draft has no number (BT-1) nor date (BT-2)."""
    if document.number is None or document.invoice_date is None:
        raise ValueError("Only a posted invoice (with a number and a date) is an e-invoice.")


def type_code(document: InvoiceDocument) -> str:
    return CREDIT_NOTE_CODE if document.move_type == CREDIT_NOTE else COMMERCIAL_INVOICE


def buyer_reference(document: InvoiceDocument) -> str:
    """BT-10: the buyer's reference, else the order, else the number (Peppol requires
    BT-10 or BT-13, PEPPOL-EN16931-R003)."""
    return document.buyer_reference or document.order_name or document.number or ""


def amount(value: Decimal) -> str:
    """A money figure with exactly two decimals (BR-DEC-*); a figure with more is a bug
    upstream, refused rather than rounded here."""
    written = value.quantize(CENT)
    if written != value:
        raise ValueError(f"The amount {value} is not in cents.")
    return f"{written:f}"


def decimal(value: Decimal) -> str:
    """A quantity, rate or unit price as stored (never in exponent form)."""
    return f"{value:f}"


def unit_price(value: Decimal) -> str:
    """The unit price as stored, with at least two decimals."""
    return decimal(value.quantize(CENT)) if value == value.quantize(CENT) else decimal(value)


def item_name(line: DocumentLine) -> str:
    """BT-153: the description's first line (mandatory, so the unit if it is blank)."""
    lines = [text.strip() for text in line.description.splitlines() if text.strip()]
    return lines[0] if lines else line.uom_name


def item_description(line: DocumentLine) -> str:
    """BT-154: the whole description, when it says more than the name."""
    description = line.description.strip()
    return description if description != item_name(line) else ""


def address_lines(party: Party) -> tuple[str, str, str]:
    """BT-35/36/162 (and the buyer's BT-50/51/163). A party frozen before structured
    snapshots has only its joined lines: they are given as they are, the third line
    taking the rest."""
    if party.structured:
        return party.street, party.street2, ""
    lines = party.address.splitlines()
    return (
        lines[0] if lines else "",
        lines[1] if len(lines) > 1 else "",
        ", ".join(lines[2:]),
    )
