"""The development mail backend prints a mail's text and names its attachments."""

import io

from django.core.mail import EmailMessage

from core.mail import ConsoleEmailBackend


def test_attachments_are_named_not_dumped():
    stream = io.StringIO()
    message = EmailMessage(
        "Invoice INV/2026/00001", "Dear customer,\nyour invoice.", "a@b.example", ["c@d.example"]
    )
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    message.attach("INV-2026-00001.pdf", pdf, "application/pdf")

    sent = ConsoleEmailBackend(stream=stream).send_messages([message])

    printed = stream.getvalue()
    assert sent == 1
    assert "Subject: Invoice INV/2026/00001" in printed
    assert "Dear customer,\nyour invoice." in printed
    assert f"[attachment: INV-2026-00001.pdf, application/pdf, {len(pdf):,} bytes]" in printed
    assert "JVBERi" not in printed  # the base64 of "%PDF"
    assert len(printed) < 1000


def test_a_plain_mail_prints_its_body():
    stream = io.StringIO()
    ConsoleEmailBackend(stream=stream).send_messages(
        [EmailMessage("Hello", "Just text.", "a@b.example", ["c@d.example"])]
    )
    assert "Just text." in stream.getvalue()
    assert "attachment" not in stream.getvalue()
