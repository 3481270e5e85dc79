"""Splitting free-text addresses into EN 16931's structured fields (DOMAIN.md rule 42).

Used by the data migration that made customer addresses structured (sales 0006) and
by anything importing addresses typed as text. Each function returns what it could
read and never guesses: what it cannot parse is left for a person to fix.
"""

import re

from django_countries import countries

# Names a customer record may hold that django-countries does not know as such.
COUNTRY_ALIASES = {
    "belgique": "BE", "belgie": "BE", "belgië": "BE", "belgien": "BE",
    "nederland": "NL", "the netherlands": "NL", "holland": "NL",
    "deutschland": "DE", "allemagne": "DE", "duitsland": "DE",
    "luxembourg": "LU", "luxemburg": "LU",
    "france": "FR", "frankrijk": "FR", "frankreich": "FR",
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB",
    "usa": "US", "united states": "US", "united states of america": "US",
    "españa": "ES", "espana": "ES", "italia": "IT", "österreich": "AT",
    "schweiz": "CH", "suisse": "CH", "switzerland": "CH",
}  # fmt: skip

# A postcode before the city: "1000 Brussels", "1012 AB Amsterdam", "L-1234 Luxembourg".
_ZIP_CITY = re.compile(r"^(?P<zip>(?:[A-Z]{1,2}-)?\d{4,5}(?: ?[A-Z]{2})?)\s+(?P<city>\D.*)$")


def parse_country(text: str) -> str | None:
    """An ISO 3166-1 alpha-2 code for a country typed as a name or a code, or None."""
    text = (text or "").strip()
    if not text:
        return ""
    if len(text) == 2 and text.upper() in dict(countries):
        return text.upper()
    if len(text) == 3:
        code = countries.alpha2(text.upper())
        if code:
            return code
    alias = COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    code = countries.by_name(text) or countries.by_name(text, insensitive=True)
    return code or None


def split_zip_city(zip_code: str, city: str) -> tuple[str, str]:
    """A postcode typed into the city ("1000 Brussels") moved to the postcode."""
    if zip_code or not city:
        return zip_code, city
    match = _ZIP_CITY.match(city.strip())
    if not match:
        return zip_code, city
    return match["zip"], match["city"].strip()


def split_street(street: str) -> tuple[str, str]:
    """A street typed on several lines: the first is the street, the rest the second line."""
    lines = [line.strip() for line in (street or "").replace("\r", "").split("\n") if line.strip()]
    if len(lines) <= 1:
        return (lines[0] if lines else ""), ""
    return lines[0], ", ".join(lines[1:])
