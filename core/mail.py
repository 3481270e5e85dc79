"""The development mail backend: Django's console backend, without the attachments' bytes.

Validating an invoice mails its PDF; Django's console backend prints the whole MIME
message, so every validation in `make run` dumped a screenful of base64. This one prints
the headers and the text body, and each attachment as a line with its name, type and size.
"""

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend


class ConsoleEmailBackend(DjangoConsoleBackend):
    def write_message(self, message) -> None:
        mime = message.message()
        lines = [f"{name}: {value}" for name, value in mime.items()]
        for part in mime.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename or part.get_content_maintype() != "text":
                lines.append(
                    f"[attachment: {filename or 'unnamed'}, {part.get_content_type()}, "
                    f"{len(payload):,} bytes]"
                )
            else:
                charset = part.get_content_charset() or "utf-8"
                lines.append("")
                lines.append(payload.decode(charset, errors="replace").rstrip("\n"))
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
