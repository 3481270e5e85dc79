"""Invoice PDFs with WeasyPrint: A4, our own CSS, no external assets."""

from django.template.loader import render_to_string

from invoicing.models import Invoice


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"Invoice PDFs use no external assets (asked for {url}).")


class InvoicePdfRenderer:
    """Renders `invoicing/pdf/invoice.html` from `invoicing.selectors.invoice_document`."""

    template_name = "invoicing/pdf/invoice.html"

    def html(self, invoice: Invoice) -> str:
        from invoicing.selectors import invoice_document

        return render_to_string(self.template_name, invoice_document(invoice=invoice))

    def render(self, invoice: Invoice) -> bytes:
        from weasyprint import HTML

        return HTML(string=self.html(invoice), url_fetcher=_refuse_fetch).write_pdf()
