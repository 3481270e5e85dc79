"""Every URL of the project that takes a record id, and the records to fill it with.

`pk_urls()` walks the resolver (recursing into includes) and yields each pattern whose
keyword arguments are all record ids (`pk`, `id`, `object_id`, `<name>_pk`,
`<name>_id`). `model_for()` tells which model an id points at, from the kwarg's name
(`entry_pk`), the path segment before it (`tickets/<int:pk>/`), or the admin's URL
name (`admin:sales_saleorder_change`). A new page is walked as soon as it is routed;
one whose ids cannot be placed is reported by `test_every_id_in_a_url_names_its_model`.
"""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from helpdesk.models import HelpdeskTeam, Ticket
from invoicing.models import Invoice, InvoiceLine, Payment
from projects.models import Project, Task
from sales.models import Customer, Product, SaleOrder, SaleOrderLine, Uom, WorkType
from timesheets.models import TimesheetEntry

PK_KWARG = re.compile(r"^(pk|id|object_id|[a-z_]+_pk|[a-z_]+_id)$")
SEGMENT = re.compile(r"[a-z][a-z_-]*")

# The word before an id (a path segment or the start of a kwarg name), singular.
MODEL_BY_WORD: dict[str, type[models.Model]] = {
    "customer": Customer,
    "product": Product,
    "uom": Uom,
    "unit": Uom,
    "order": SaleOrder,
    "sale": SaleOrder,
    "order-line": SaleOrderLine,
    "order_line": SaleOrderLine,
    "sale_line": SaleOrderLine,
    "project": Project,
    "task": Task,
    "team": HelpdeskTeam,
    "work-type": WorkType,
    "work_type": WorkType,
    "ticket": Ticket,
    "entry": TimesheetEntry,
    "timesheet": TimesheetEntry,
    "invoice": Invoice,
    "invoicing": Invoice,
    "credit-note": Invoice,
    "invoice_line": InvoiceLine,
    "payment": Payment,
    "user": get_user_model(),
    "employee": get_user_model(),
}
# "lines/<int:pk>/" means the line model of the app it sits in.
LINE_BY_NAMESPACE = {"sales": SaleOrderLine, "invoicing": InvoiceLine}
ADMIN_VIEW = re.compile(
    r"^(?P<app>[a-z_0-9]+?)_(?P<model>[a-z0-9]+)_(change|delete|history|password_change)$"
)
# Not walked, with the reason.
SKIPPED = {
    "admin:view_on_site": "redirects to the object's own page, which the walk covers",
}


@dataclass(frozen=True)
class PkUrl:
    name: str  # "namespace:name"
    route: str  # the full pattern, for messages
    namespace: str  # the outermost namespace ("" when none)
    kwargs: tuple[str, ...]
    models: tuple[type[models.Model] | None, ...]  # per kwarg; None: unknown

    @property
    def is_admin(self) -> bool:
        return self.namespace == "admin"

    @property
    def is_api(self) -> bool:
        return self.namespace == "api"

    def reverse(self, ids: tuple[object, ...]) -> str:
        return reverse(self.name, kwargs=dict(zip(self.kwargs, (str(i) for i in ids), strict=True)))


def _singular(word: str) -> str:
    word = word.lower()
    if word.endswith("entries"):
        return word[: -len("ies")] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _word_model(word: str, namespace: str) -> type[models.Model] | None:
    word = _singular(word)
    if word == "line":
        return LINE_BY_NAMESPACE.get(namespace)
    if word in MODEL_BY_WORD:
        return MODEL_BY_WORD[word]
    return {"sale": SaleOrder, "sales": SaleOrder}.get(namespace) if word == namespace else None


def model_for(kwarg: str, route: str, namespace: str, name: str) -> type[models.Model] | None:
    if namespace == "admin":
        match = ADMIN_VIEW.match(name.split(":")[-1])
        if not match:
            return None
        try:
            return apps.get_model(match["app"], match["model"])
        except LookupError:
            return None
    prefix = re.sub(r"_(pk|id)$", "", kwarg)
    if prefix not in {"pk", "id", "object"}:
        return _word_model(prefix, namespace)
    before = re.split(r"<[^>]*\b" + kwarg + r">|\(\?P<" + kwarg + r">", route)[0]
    words = SEGMENT.findall(before)
    return _word_model(words[-1], namespace) if words else None


def _patterns(
    patterns, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[tuple[URLPattern, str, tuple[str, ...]]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            names = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from _patterns(pattern.url_patterns, route, names)
        else:
            yield pattern, route, namespaces


def _kwargs(pattern: URLPattern) -> tuple[str, ...]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return tuple(converters)
    return tuple(pattern.pattern.regex.groupindex)


def pk_urls() -> list[PkUrl]:
    """Every named URL whose kwargs are all record ids (format-suffix variants left out)."""
    found: dict[tuple[str, tuple[str, ...]], PkUrl] = {}
    for pattern, route, namespaces in _patterns(get_resolver().url_patterns):
        if not pattern.name or ":".join((*namespaces, pattern.name)) in SKIPPED:
            continue
        resolver_kwargs = tuple(re.findall(r"\(\?P<(\w+)>|<(?:\w+:)?(\w+)>", route))
        kwargs = tuple(a or b for a, b in resolver_kwargs) or _kwargs(pattern)
        if not kwargs or not all(PK_KWARG.match(kwarg) for kwarg in kwargs):
            continue
        name = ":".join((*namespaces, pattern.name))
        namespace = namespaces[0] if namespaces else ""
        found.setdefault(
            (name, kwargs),
            PkUrl(
                name=name,
                route=route,
                namespace=namespace,
                kwargs=kwargs,
                models=tuple(model_for(k, route, namespace, name) for k in kwargs),
            ),
        )
    return list(found.values())


def plain_urls() -> list[tuple[str, str]]:
    """(name, path) of every named URL that takes no argument."""
    found = {}
    for pattern, route, namespaces in _patterns(get_resolver().url_patterns):
        if pattern.name and not _kwargs(pattern) and "(?P<" not in route:
            name = ":".join((*namespaces, pattern.name))
            found.setdefault(name, reverse(name))
    return sorted(found.items())


def records_for(
    model: type[models.Model] | None, records: dict[type[models.Model], list[models.Model]]
) -> list[models.Model]:
    """The world's records of a model; any stored row of a model the world did not build."""
    if model is None:
        return []
    if model in records:
        return records[model]
    first = model._default_manager.order_by("pk").first()
    return [first] if first is not None else []


def id_sets(url: PkUrl, records, limit: int = 12) -> list[tuple[object, ...]]:
    """The id combinations to request: every record of each kwarg's model (up to `limit`).

    An id whose model is unknown is tried with every id the world holds.
    """
    every_id = sorted({obj.pk for objs in records.values() for obj in objs})
    choices = []
    for model in url.models:
        ids = [obj.pk for obj in records_for(model, records)] if model else every_id
        if not ids:
            return []
        choices.append(ids)
    return list(itertools.islice(itertools.product(*choices), limit))
