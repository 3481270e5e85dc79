"""Display filters shared by every page: durations as H:MM, money, quantities."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma

from core.numbers import format_hours, format_minutes
from core.numbers import money as round_money

register = template.Library()


@register.filter
def hm(minutes: int | None) -> str:
    """Whole minutes as H:MM (negative shown with a minus): 90 -> 1:30."""
    return format_minutes(minutes)


@register.filter
def hours_hm(hours: Decimal | None) -> str:
    """Decimal hours as H:MM: 1.5 -> 1:30."""
    return format_hours(hours)


@register.filter
def money(value: Decimal | int | None, currency: str | None = None) -> str:
    """An amount rounded half-up to the cent, with thousands separators: 1,200.00 EUR."""
    amount = round_money(Decimal(value or 0))
    text = intcomma(f"{amount:.2f}", use_l10n=False)
    return f"{text} {currency or settings.CURRENCY}"


@register.filter
def qty(value: Decimal | int | None) -> str:
    """A quantity with two decimals: 1.5 -> 1.50."""
    return f"{Decimal(value or 0):.2f}"


@register.simple_tag(takes_context=True)
def query_string(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination keeps the filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def percent_of(minutes: int | None, hours: Decimal | None) -> int | None:
    """Logged minutes as a whole percentage of allocated hours (None without allocation)."""
    if not hours:
        return None
    return int(Decimal(minutes or 0) * 100 / (Decimal(hours) * 60))
