"""Exact arithmetic for money, quantities and durations."""

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

CENT = Decimal("0.01")


def round_half_up(value: Decimal | Fraction | int, precision: Decimal = CENT) -> Decimal:
    """Round half-up to `precision` (a Decimal step such as 0.01).

    A Fraction is divided at 60 digits first: a value exactly on a half step
    always terminates, so the half-up decision is exact.
    """
    if isinstance(value, Fraction):
        with localcontext() as ctx:
            ctx.prec = 60
            value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(precision, rounding=ROUND_HALF_UP)


def money(value: Decimal | Fraction | int) -> Decimal:
    return round_half_up(value, CENT)


def format_minutes(minutes: int | None) -> str:
    """Minutes as H:MM (negative shown with a leading minus)."""
    minutes = int(minutes or 0)
    sign = "-" if minutes < 0 else ""
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{mins:02d}"


def format_hours(hours: Decimal | None) -> str:
    """Decimal hours as H:MM, rounded to the minute."""
    if hours is None:
        return "0:00"
    minutes = round_half_up(Decimal(hours) * 60, Decimal(1))
    return format_minutes(int(minutes))


# Python's int() and Decimal() read "１２" (full-width) or "١٢" (Arabic-Indic) as 12 and
# "1_000" as 1000; a person typing a number means none of these, so they are refused.
LOOSE_NUMBER_MESSAGE = (
    "Type numbers with the digits 0-9 only (no full-width digits or underscores)."
)


def is_loose_number(text: str) -> bool:
    """True when `text` holds anything but ASCII, or an underscore: see LOOSE_NUMBER_MESSAGE."""
    return not text.isascii() or "_" in text


def parse_duration(text: str) -> int:
    """Parse '1:30', '1.5', '1,5', '90m' or '2h' into whole minutes.

    Only the ASCII digits 0-9 count (not "１２" nor "1_000m"). Raises ValueError with a
    readable message on anything else.
    """
    raw = (text or "").strip().lower().replace(" ", "")
    if not raw:
        raise ValueError("Enter a duration such as 1:30 or 1.5.")
    if is_loose_number(raw):
        raise ValueError(f"“{text}” is not a duration. {LOOSE_NUMBER_MESSAGE}")
    try:
        if raw.endswith("m") and not raw.endswith("hm"):
            return int(raw[:-1])
        if raw.endswith("h"):
            raw = raw[:-1]
        if ":" in raw:
            h, _, m = raw.partition(":")
            hours = int(h or 0)
            mins = int(m or 0)
            if mins < 0 or mins >= 60 or hours < 0:
                raise ValueError
            return hours * 60 + mins
        value = Decimal(raw.replace(",", "."))
        if not value.is_finite():
            raise ValueError
        return int(round_half_up(value * 60, Decimal(1)))
    except (ValueError, ArithmeticError):
        raise ValueError(f"“{text}” is not a duration; use H:MM (1:30) or hours (1.5).") from None


# Free-text limits: generous for people, refusing pasted megabytes with a clear message.
LONG_TEXT_MAX = 20_000
SHORT_TEXT_MAX = 2_000
