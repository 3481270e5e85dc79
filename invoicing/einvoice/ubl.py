"""The invoice document as a UBL 2.1 Invoice or CreditNote, Peppol BIS Billing 3.0
(DOMAIN.md rule 41). A pure function of the document: it formats the document's
figures, it never computes its own (rule 44).

Elements are written in the order of the UBL XSD sequences; the comments name the
EN 16931 business terms.
"""

from datetime import date
from decimal import Decimal

from lxml import etree

from invoicing.documents import DocumentLine, InvoiceDocument, Party, TaxGroup
from invoicing.einvoice import fields

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def _cbc(parent: etree._Element, name: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{name}", attributes)
    element.text = text
    return element


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _optional(parent: etree._Element, name: str, text: str, **attributes: str) -> None:
    if text:
        _cbc(parent, name, text, **attributes)


def _date(value: date) -> str:
    return value.isoformat()


def ubl_xml(document: InvoiceDocument) -> bytes:
    """The UBL 2.1 Invoice (type 380) or CreditNote (381) of a posted document."""
    fields.require_issued(document)
    credit_note = document.is_credit_note
    root_ns = CREDIT_NOTE_NS if credit_note else INVOICE_NS
    root_name = "CreditNote" if credit_note else "Invoice"
    root = etree.Element(f"{{{root_ns}}}{root_name}", nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
    currency = document.currency

    _cbc(root, "CustomizationID", fields.PEPPOL_CUSTOMIZATION_ID)  # BT-24
    _cbc(root, "ProfileID", fields.PEPPOL_PROFILE_ID)  # BT-23
    _cbc(root, "ID", document.number)  # BT-1
    _cbc(root, "IssueDate", _date(document.invoice_date))  # BT-2
    if document.due_date and not credit_note:
        _cbc(root, "DueDate", _date(document.due_date))  # BT-9 (a credit note's: below)
    _cbc(
        root, "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode", fields.type_code(document)
    )
    _cbc(root, "DocumentCurrencyCode", currency)  # BT-5
    _cbc(root, "BuyerReference", fields.buyer_reference(document))  # BT-10
    _invoice_period(root, document)  # BG-14
    _order_reference(root, document)  # BT-13, BT-14
    if document.reversed_invoice_number:  # BG-3
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", document.reversed_invoice_number)  # BT-25
        if document.reversed_invoice_date:
            _cbc(reference, "IssueDate", _date(document.reversed_invoice_date))  # BT-26
    _party(_cac(root, "AccountingSupplierParty"), document.seller)  # BG-4
    _party(_cac(root, "AccountingCustomerParty"), document.buyer)  # BG-7
    _payment(root, document)  # BG-16, BT-20
    _tax_total(root, document)  # BT-110, BG-23
    _monetary_total(root, document)  # BG-22
    for number, line in enumerate(document.lines, start=1):  # BG-25
        _line(root, line, number=number, credit_note=credit_note, currency=currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _invoice_period(root: etree._Element, document: InvoiceDocument) -> None:
    if not (document.period_start or document.period_end):
        return
    period = _cac(root, "InvoicePeriod")
    if document.period_start:
        _cbc(period, "StartDate", _date(document.period_start))  # BT-73
    if document.period_end:
        _cbc(period, "EndDate", _date(document.period_end))  # BT-74


def _order_reference(root: etree._Element, document: InvoiceDocument) -> None:
    if not (document.buyer_reference or document.order_name):
        return
    reference = _cac(root, "OrderReference")
    # The ID is mandatory in UBL: Peppol writes "NA" when only the sales order is known.
    _cbc(reference, "ID", document.buyer_reference or "NA")  # BT-13
    _optional(reference, "SalesOrderID", document.order_name or "")  # BT-14


def _party(role: etree._Element, party: Party) -> None:
    """BG-4 (BT-27..43) or BG-7 (BT-44..58)."""
    element = _cac(role, "Party")
    if party.peppol_id:  # BT-34 / BT-49
        _cbc(element, "EndpointID", party.peppol_id, schemeID=party.peppol_scheme)
    address = _cac(element, "PostalAddress")  # BG-5 / BG-8
    street, street2, line3 = fields.address_lines(party)
    _optional(address, "StreetName", street)  # BT-35 / BT-50
    _optional(address, "AdditionalStreetName", street2)  # BT-36 / BT-51
    _optional(address, "CityName", party.city)  # BT-37 / BT-52
    _optional(address, "PostalZone", party.zip)  # BT-38 / BT-53
    if line3:
        _cbc(_cac(address, "AddressLine"), "Line", line3)  # BT-162 / BT-163
    if party.country:
        _cbc(_cac(address, "Country"), "IdentificationCode", party.country)  # BT-40 / BT-55
    if party.vat:
        tax_scheme = _cac(element, "PartyTaxScheme")
        _cbc(tax_scheme, "CompanyID", party.vat)  # BT-31 / BT-48
        _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    legal_entity = _cac(element, "PartyLegalEntity")
    _cbc(legal_entity, "RegistrationName", party.name)  # BT-27 / BT-44
    _optional(legal_entity, "CompanyID", party.registration)  # BT-30 / BT-47
    if party.phone or party.email:
        contact = _cac(element, "Contact")  # BG-6 / BG-9
        _optional(contact, "Telephone", party.phone)  # BT-42 / BT-57
        _optional(contact, "ElectronicMail", party.email)  # BT-43 / BT-58


def _payment(root: etree._Element, document: InvoiceDocument) -> None:
    payment = document.payment
    # A credit note's due date lives in its payment means (UBL CreditNote has no DueDate).
    credit_note_due = document.due_date if document.is_credit_note else None
    if payment is None and credit_note_due is None:
        return
    iban = payment.iban if payment else ""
    means = _cac(root, "PaymentMeans")
    code = fields.SEPA_CREDIT_TRANSFER if iban else fields.INSTRUMENT_NOT_DEFINED
    _cbc(means, "PaymentMeansCode", code)  # BT-81
    if credit_note_due:
        _cbc(means, "PaymentDueDate", _date(credit_note_due))  # BT-9
    if payment:
        _optional(means, "PaymentID", payment.reference)  # BT-83
    if iban:
        account = _cac(means, "PayeeFinancialAccount")  # BG-17
        _cbc(account, "ID", iban)  # BT-84
        _optional(account, "Name", payment.account_name)  # BT-85
        if payment.bic:
            _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", payment.bic)  # BT-86
    if payment and payment.terms:
        _cbc(_cac(root, "PaymentTerms"), "Note", payment.terms)  # BT-20


def _tax_category(
    parent: etree._Element, name: str, *, category: str, rate: Decimal
) -> etree._Element:
    tax_category = _cac(parent, name)
    _cbc(tax_category, "ID", category)  # BT-118 / BT-151
    _cbc(tax_category, "Percent", fields.decimal(rate))  # BT-119 / BT-152
    return tax_category


def _tax_total(root: etree._Element, document: InvoiceDocument) -> None:
    currency = document.currency
    tax_total = _cac(root, "TaxTotal")
    _cbc(tax_total, "TaxAmount", fields.amount(document.totals.tax), currencyID=currency)  # BT-110
    for group in document.tax_groups:
        _tax_subtotal(tax_total, group, currency=currency)


def _tax_subtotal(tax_total: etree._Element, group: TaxGroup, *, currency: str) -> None:
    subtotal = _cac(tax_total, "TaxSubtotal")  # BG-23
    _cbc(subtotal, "TaxableAmount", fields.amount(group.base), currencyID=currency)  # BT-116
    _cbc(subtotal, "TaxAmount", fields.amount(group.tax), currencyID=currency)  # BT-117
    category = _tax_category(subtotal, "TaxCategory", category=group.category, rate=group.rate)
    if group.category in fields.WITH_EXEMPTION_REASON:
        _optional(
            category, "TaxExemptionReasonCode", fields.EXEMPTION_CODES.get(group.category, "")
        )  # BT-121
        _optional(category, "TaxExemptionReason", group.exemption_reason)  # BT-120
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _monetary_total(root: etree._Element, document: InvoiceDocument) -> None:
    totals, currency = document.totals, document.currency
    monetary = _cac(root, "LegalMonetaryTotal")
    # No document-level allowances or charges: the lines' sum is the taxable total.
    _cbc(
        monetary, "LineExtensionAmount", fields.amount(totals.untaxed), currencyID=currency
    )  # BT-106
    _cbc(
        monetary, "TaxExclusiveAmount", fields.amount(totals.untaxed), currencyID=currency
    )  # BT-109
    _cbc(monetary, "TaxInclusiveAmount", fields.amount(totals.total), currencyID=currency)  # BT-112
    if totals.due != totals.total:  # BT-113: what was paid before this document
        prepaid = fields.amount(totals.total - totals.due)
        _cbc(monetary, "PrepaidAmount", prepaid, currencyID=currency)
    _cbc(monetary, "PayableAmount", fields.amount(totals.due), currencyID=currency)  # BT-115


def _line(
    root: etree._Element, line: DocumentLine, *, number: int, credit_note: bool, currency: str
) -> None:
    element = _cac(root, "CreditNoteLine" if credit_note else "InvoiceLine")
    _cbc(element, "ID", str(number))  # BT-126
    quantity = "CreditedQuantity" if credit_note else "InvoicedQuantity"
    _cbc(element, quantity, fields.decimal(line.quantity), unitCode=line.uom_code)  # BT-129, BT-130
    _cbc(
        element, "LineExtensionAmount", fields.amount(line.amount_untaxed), currencyID=currency
    )  # BT-131
    item = _cac(element, "Item")  # BG-31
    _optional(item, "Description", fields.item_description(line))  # BT-154
    _cbc(item, "Name", fields.item_name(line))  # BT-153
    tax_category = _tax_category(
        item, "ClassifiedTaxCategory", category=line.vat_category, rate=line.tax_rate
    )
    _cbc(_cac(tax_category, "TaxScheme"), "ID", "VAT")
    price = _cac(element, "Price")  # BG-29
    _cbc(price, "PriceAmount", fields.unit_price(line.price_unit), currencyID=currency)  # BT-146
