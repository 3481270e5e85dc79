"""`{% history_url record %}`: the audit-trail page of an audited record."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def history_url(record) -> str:
    label = f"{record._meta.app_label}.{record._meta.model_name}"
    return reverse("core:history", args=[label, record.pk])
