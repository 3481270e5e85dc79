"""The invoice document as a UN/CEFACT Cross Industry Invoice (D16B), Factur-X
EN 16931 profile: the XML embedded in the invoice PDF (DOMAIN.md rule 41). A pure
function of the document, the same business terms as the UBL (`invoicing.einvoice.ubl`);
it formats the document's figures, it never computes its own (rule 44).

Elements follow the Factur-X EN 16931 XSD sequences. A credit note is type 381 with
positive amounts, as EN 16931 wants it.
"""

from datetime import date

from lxml import etree

from invoicing.documents import DocumentLine, InvoiceDocument, Party, TaxGroup
from invoicing.einvoice import fields

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

DATE_FORMAT = "102"  # UNTDID 2379: CCYYMMDD
VAT_SCHEME = "VA"  # a SpecifiedTaxRegistration that is a VAT identifier


def _element(
    parent: etree._Element, name: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """`ram:Name` (or `rsm:`/`udt:`/`qdt:` with the prefix) under parent."""
    prefix, _, local = name.rpartition(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix or 'ram']}}}{local}", attributes)
    if text is not None:
        element.text = text
    return element


def _optional(parent: etree._Element, name: str, text: str) -> None:
    if text:
        _element(parent, name, text)


def _date(parent: etree._Element, name: str, value: date, *, qualified: bool = False) -> None:
    string = "qdt:DateTimeString" if qualified else "udt:DateTimeString"
    _element(_element(parent, name), string, value.strftime("%Y%m%d"), format=DATE_FORMAT)


def cii_xml(document: InvoiceDocument) -> bytes:
    """The Factur-X EN 16931 CrossIndustryInvoice (type 380 or 381) of a posted document."""
    fields.require_issued(document)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    context = _element(root, "rsm:ExchangedDocumentContext")
    process = _element(context, "BusinessProcessSpecifiedDocumentContextParameter")
    _element(process, "ID", fields.PEPPOL_PROFILE_ID)  # BT-23
    guideline = _element(context, "GuidelineSpecifiedDocumentContextParameter")
    _element(guideline, "ID", fields.EN16931_GUIDELINE_ID)  # BT-24

    exchanged = _element(root, "rsm:ExchangedDocument")
    _element(exchanged, "ID", document.number)  # BT-1
    _element(exchanged, "TypeCode", fields.type_code(document))  # BT-3
    _date(exchanged, "IssueDateTime", document.invoice_date)  # BT-2

    transaction = _element(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(document.lines, start=1):  # BG-25
        _line(transaction, line, number=number)
    _agreement(transaction, document)
    _element(transaction, "ApplicableHeaderTradeDelivery")  # mandatory, nothing to say
    _settlement(transaction, document)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _agreement(transaction: etree._Element, document: InvoiceDocument) -> None:
    agreement = _element(transaction, "ApplicableHeaderTradeAgreement")
    _element(agreement, "BuyerReference", fields.buyer_reference(document))  # BT-10
    _party(agreement, "SellerTradeParty", document.seller)  # BG-4
    _party(agreement, "BuyerTradeParty", document.buyer)  # BG-7
    if document.order_name:
        sales_order = _element(agreement, "SellerOrderReferencedDocument")
        _element(sales_order, "IssuerAssignedID", document.order_name)  # BT-14
    if document.buyer_reference:
        purchase_order = _element(agreement, "BuyerOrderReferencedDocument")
        _element(purchase_order, "IssuerAssignedID", document.buyer_reference)  # BT-13


def _party(agreement: etree._Element, name: str, party: Party) -> None:
    """BG-4 (BT-27..43) or BG-7 (BT-44..58)."""
    element = _element(agreement, name)
    _element(element, "Name", party.name)  # BT-27 / BT-44
    if party.registration:
        legal = _element(element, "SpecifiedLegalOrganization")
        _element(legal, "ID", party.registration)  # BT-30 / BT-47
    if party.phone or party.email:
        contact = _element(element, "DefinedTradeContact")  # BG-6 / BG-9
        if party.phone:
            telephone = _element(contact, "TelephoneUniversalCommunication")
            _element(telephone, "CompleteNumber", party.phone)  # BT-42 / BT-57
        if party.email:
            email = _element(contact, "EmailURIUniversalCommunication")
            _element(email, "URIID", party.email)  # BT-43 / BT-58
    address = _element(element, "PostalTradeAddress")  # BG-5 / BG-8
    street, street2, line3 = fields.address_lines(party)
    _optional(address, "PostcodeCode", party.zip)  # BT-38 / BT-53
    _optional(address, "LineOne", street)  # BT-35 / BT-50
    _optional(address, "LineTwo", street2)  # BT-36 / BT-51
    _optional(address, "LineThree", line3)  # BT-162 / BT-163
    _optional(address, "CityName", party.city)  # BT-37 / BT-52
    _element(address, "CountryID", party.country)  # BT-40 / BT-55 (mandatory in CII)
    if party.peppol_id:  # BT-34 / BT-49
        uri = _element(element, "URIUniversalCommunication")
        _element(uri, "URIID", party.peppol_id, schemeID=party.peppol_scheme)
    if party.vat:
        registration = _element(element, "SpecifiedTaxRegistration")
        _element(registration, "ID", party.vat, schemeID=VAT_SCHEME)  # BT-31 / BT-48


def _settlement(transaction: etree._Element, document: InvoiceDocument) -> None:
    settlement = _element(transaction, "ApplicableHeaderTradeSettlement")
    payment = document.payment
    if payment:
        _optional(settlement, "PaymentReference", payment.reference)  # BT-83
    _element(settlement, "InvoiceCurrencyCode", document.currency)  # BT-5
    if payment:
        _payment_means(settlement, document)  # BG-16
    for group in document.tax_groups:  # BG-23
        _header_tax(settlement, group)
    if document.period_start or document.period_end:  # BG-14
        period = _element(settlement, "BillingSpecifiedPeriod")
        if document.period_start:
            _date(period, "StartDateTime", document.period_start)  # BT-73
        if document.period_end:
            _date(period, "EndDateTime", document.period_end)  # BT-74
    if (payment and payment.terms) or document.due_date:
        terms = _element(settlement, "SpecifiedTradePaymentTerms")
        if payment:
            _optional(terms, "Description", payment.terms)  # BT-20
        if document.due_date:
            _date(terms, "DueDateDateTime", document.due_date)  # BT-9
    _summation(settlement, document)  # BG-22
    if document.reversed_invoice_number:  # BG-3
        reference = _element(settlement, "InvoiceReferencedDocument")
        _element(reference, "IssuerAssignedID", document.reversed_invoice_number)  # BT-25
        if document.reversed_invoice_date:  # BT-26
            _date(
                reference, "FormattedIssueDateTime", document.reversed_invoice_date, qualified=True
            )


def _payment_means(settlement: etree._Element, document: InvoiceDocument) -> None:
    payment = document.payment
    means = _element(settlement, "SpecifiedTradeSettlementPaymentMeans")
    code = fields.SEPA_CREDIT_TRANSFER if payment.iban else fields.INSTRUMENT_NOT_DEFINED
    _element(means, "TypeCode", code)  # BT-81
    if payment.iban:
        account = _element(means, "PayeePartyCreditorFinancialAccount")  # BG-17
        _element(account, "IBANID", payment.iban)  # BT-84
        _optional(account, "AccountName", payment.account_name)  # BT-85
        if payment.bic:
            institution = _element(means, "PayeeSpecifiedCreditorFinancialInstitution")
            _element(institution, "BICID", payment.bic)  # BT-86


def _header_tax(settlement: etree._Element, group: TaxGroup) -> None:
    tax = _element(settlement, "ApplicableTradeTax")
    _element(tax, "CalculatedAmount", fields.amount(group.tax))  # BT-117
    _element(tax, "TypeCode", "VAT")
    with_reason = group.category in fields.WITH_EXEMPTION_REASON
    if with_reason:
        _optional(tax, "ExemptionReason", group.exemption_reason)  # BT-120
    _element(tax, "BasisAmount", fields.amount(group.base))  # BT-116
    _element(tax, "CategoryCode", group.category)  # BT-118
    if with_reason:
        _optional(
            tax, "ExemptionReasonCode", fields.EXEMPTION_CODES.get(group.category, "")
        )  # BT-121
    _element(tax, "RateApplicablePercent", fields.decimal(group.rate))  # BT-119


def _summation(settlement: etree._Element, document: InvoiceDocument) -> None:
    totals = document.totals
    summation = _element(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    # No document-level allowances or charges: the lines' sum is the taxable total.
    _element(summation, "LineTotalAmount", fields.amount(totals.untaxed))  # BT-106
    _element(summation, "TaxBasisTotalAmount", fields.amount(totals.untaxed))  # BT-109
    # The only amount that names its currency in CII (BT-110, in the invoice currency).
    _element(summation, "TaxTotalAmount", fields.amount(totals.tax), currencyID=document.currency)
    _element(summation, "GrandTotalAmount", fields.amount(totals.total))  # BT-112
    if totals.due != totals.total:  # BT-113: what was paid before this document
        _element(summation, "TotalPrepaidAmount", fields.amount(totals.total - totals.due))
    _element(summation, "DuePayableAmount", fields.amount(totals.due))  # BT-115


def _line(transaction: etree._Element, line: DocumentLine, *, number: int) -> None:
    item = _element(transaction, "IncludedSupplyChainTradeLineItem")
    _element(_element(item, "AssociatedDocumentLineDocument"), "LineID", str(number))  # BT-126
    product = _element(item, "SpecifiedTradeProduct")  # BG-31
    _element(product, "Name", fields.item_name(line))  # BT-153
    _optional(product, "Description", fields.item_description(line))  # BT-154
    agreement = _element(item, "SpecifiedLineTradeAgreement")
    price = _element(agreement, "NetPriceProductTradePrice")  # BG-29
    _element(price, "ChargeAmount", fields.unit_price(line.price_unit))  # BT-146
    delivery = _element(item, "SpecifiedLineTradeDelivery")
    quantity = fields.decimal(line.quantity)
    _element(delivery, "BilledQuantity", quantity, unitCode=line.uom_code)  # BT-129, BT-130
    settlement = _element(item, "SpecifiedLineTradeSettlement")
    tax = _element(settlement, "ApplicableTradeTax")
    _element(tax, "TypeCode", "VAT")
    _element(tax, "CategoryCode", line.vat_category)  # BT-151
    _element(tax, "RateApplicablePercent", fields.decimal(line.tax_rate))  # BT-152
    summation = _element(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    _element(summation, "LineTotalAmount", fields.amount(line.amount_untaxed))  # BT-131
