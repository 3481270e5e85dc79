"""Find what our Content Security Policy blocks in HTML: inline scripts, `<style>`
elements, event-handler attributes (`onclick="…"`) and `javascript:` URLs."""

from html.parser import HTMLParser

# <script type="application/json"> (json_script) is data, never executed: CSP allows it.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class InlineCodeFinder(HTMLParser):
    def __init__(self, *, style_attributes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.style_attributes = style_attributes
        self.findings: list[str] = []
        self._in_inline_script = False
        self._script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        line = self.getpos()[0]
        if (
            tag == "script"
            and "src" not in attributes
            and (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES
        ):
            self._in_inline_script = True
            self._script_text = ""
        if tag == "style":
            self.findings.append(f"line {line}: <style> element")
        for name, value in attrs:
            if name == "style" and not self.style_attributes:
                self.findings.append(f'line {line}: <{tag} style="{value}">')
            elif name.startswith("on") or (
                name in {"href", "src", "action"} and (value or "").startswith("javascript:")
            ):
                self.findings.append(f'line {line}: <{tag} {name}="{value}">')

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self._script_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_inline_script:
            self._in_inline_script = False
            if self._script_text.strip():
                self.findings.append(f"line {self.getpos()[0]}: inline <script>")


def inline_code(html: str, *, style_attributes: bool = True) -> list[str]:
    """What the policy would block; `style_attributes=True` (our policy's
    `style-src-attr 'unsafe-inline'`) lets `style="…"` through."""
    finder = InlineCodeFinder(style_attributes=style_attributes)
    finder.feed(html)
    finder.close()
    return finder.findings
