"""Admin for units, customers, products and sale orders ("Get started", steps 1-3).

Orders and their lines are written through `sales.services` only, so a line's task
and its delivered and invoiced figures cannot be bypassed from here.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.admin import ReadOnlyAdmin, ServiceAdmin, error_messages
from core.models import AppSettings
from sales import services
from sales.models import (
    Customer,
    InvoiceStatus,
    Product,
    RoundingMode,
    SaleOrder,
    SaleOrderLine,
    Uom,
    UomCategory,
    WorkType,
)
from sales.selectors import hours_uom, orders_with_lines, rate_employees, work_type_choices


class UomInline(admin.TabularInline):
    model = Uom
    fields = ["name", "uom_type", "ratio", "rounding", "unece_code", "active"]
    extra = 0
    show_change_link = True


@admin.register(UomCategory)
class UomCategoryAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [UomInline]


@admin.register(Uom)
class UomAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        "uom_type",
        "ratio",
        "factor",
        "rounding",
        "unece_code",
        "active",
    ]
    list_filter = ["category", "uom_type", "active"]
    search_fields = ["name", "category__name"]
    list_select_related = ["category"]

    def get_readonly_fields(self, request, obj=None):
        # Order lines keep their unit: changing what it means would rewrite their history.
        if obj is not None and SaleOrderLine.objects.filter(uom=obj).exists():
            return ["category", "uom_type", "ratio"]
        return []


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """The model's `clean()` checks the identifiers (`customer_identifiers`, python-stdnum:
    a BE VAT number with a wrong check digit is refused) and stores them compact."""

    list_display = ["name", "email", "vat", "city", "country", "payment_terms_days"]
    list_filter = ["country", "payment_terms_days"]
    search_fields = ["name", "email", "vat", "city", "peppol_id"]
    fieldsets = [
        (None, {"fields": ["name", "email"]}),
        ("Address", {"fields": ["street", "street2", "zip", "city", "country"]}),
        (
            "Identifiers",
            {"fields": ["vat", "company_registration", "peppol_scheme", "peppol_id"]},
        ),
        ("Invoicing", {"fields": ["invoice_email", "payment_terms_days"]}),
    ]


@admin.register(WorkType)
class WorkTypeAdmin(admin.ModelAdmin):
    """Work types (DOMAIN.md rule 27): Billable, No charge or Non-billable. One in use is
    archived (untick Active), never deleted: entries and rate lines keep it."""

    list_display = ["name", "billing", "active"]
    list_filter = ["billing", "active"]
    search_fields = ["name"]
    fields = ["name", "billing", "active"]


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "name",
            "default_code",
            "type",
            "active",
            "uom",
            "list_price",
            "tax_rate",
            "vat_category",
            "vat_exemption_reason",
            "invoice_policy",
            "service_tracking",
            "project",
            *Product.ROUNDING_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "uom" not in self.fields and not self.instance.uom_id:
            # Units of Measure is off: every service is sold in Hours.
            self.instance.uom = hours_uom()
        for name in Product.ROUNDING_FIELDS:
            self.fields[name].required = False  # empty: no rounding (the model's default)

    def clean(self):
        cleaned_data = super().clean()
        for name in Product.ROUNDING_FIELDS:
            if cleaned_data.get(name) in (None, ""):
                cleaned_data[name] = Product._meta.get_field(name).default
        return cleaned_data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = [
        "name",
        "default_code",
        "type",
        "uom",
        "list_price",
        "tax_rate",
        "vat_category",
        "invoice_policy",
        "service_tracking",
        "project",
        "active",
    ]
    list_filter = [
        "type",
        "invoice_policy",
        "service_tracking",
        "vat_category",
        "active",
        "project",
    ]
    search_fields = ["name", "default_code"]
    list_select_related = ["uom", "project"]
    fieldsets = [
        (None, {"fields": ["name", "default_code", "type", "active"]}),
        ("Sales", {"fields": ["uom", "list_price", "invoice_policy"]}),
        ("VAT", {"fields": ["tax_rate", "vat_category", "vat_exemption_reason"]}),
        ("Service tracking", {"fields": ["service_tracking", "project"]}),
        (
            "Billed time",
            {
                "fields": list(Product.ROUNDING_FIELDS),
                "description": "Copied to each new order line (DOMAIN.md rule 29): billed = "
                "max(minimum, worked rounded to the increment) for each entry.",
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        if AppSettings.load().uom_enabled:
            return self.fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "uom"]})
            for name, options in self.fieldsets
        ]

    def get_list_display(self, request):
        if AppSettings.load().uom_enabled:
            return self.list_display
        return [f for f in self.list_display if f != "uom"]


LINE_BILLING_FIELDS = (*Product.ROUNDING_FIELDS, "rate_work_type", "rate_employee")


class SaleOrderLineForm(forms.ModelForm):
    """Description, price, tax and VAT category default to the product's, as the service
    does (which then applies rule 43: reverse charge for an EU business abroad)."""

    class Meta:
        model = SaleOrderLine
        fields = [
            "product",
            "description",
            "quantity",
            "price_unit",
            "tax_rate",
            "vat_category",
            "vat_exemption_reason",
            *LINE_BILLING_FIELDS,
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 1, "cols": 40}),
            "vat_exemption_reason": forms.TextInput(attrs={"size": 20}),
            "rounding_increment": forms.NumberInput(attrs={"style": "width: 5em"}),
            "minimum_minutes": forms.NumberInput(attrs={"style": "width: 5em"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("description", "price_unit", "tax_rate", "vat_category"):
            self.fields[name].required = False
        # Empty: the product's rounding rule, copied when the line is added (rule 29).
        for name in Product.ROUNDING_FIELDS:
            self.fields[name].required = False
        line = self.instance
        if line.pk is None:
            # Not the model's defaults: an untouched rule is the product's.
            for name in Product.ROUNDING_FIELDS:
                self.initial[name] = None
            self.fields["rounding_mode"].choices = [("", "Product's"), *RoundingMode.choices]
        if "rate_work_type" in self.fields:
            self.fields["rate_work_type"].queryset = work_type_choices(
                current=line.rate_work_type_id
            )
        if "rate_employee" in self.fields:
            self.fields["rate_employee"].queryset = rate_employees(current=line.rate_employee_id)

    def clean(self):
        cleaned_data = super().clean()
        product = cleaned_data.get("product")
        if self.instance.pk and "product" in self.changed_data:
            self.add_error("product", "Delete the line and add a new one to change its product.")
        if product is not None:
            if not cleaned_data.get("description"):
                cleaned_data["description"] = product.name
                self.instance.description = product.name
            for field, default in (
                ("price_unit", product.list_price),
                ("tax_rate", product.tax_rate),
                ("vat_category", product.vat_category),
                ("vat_exemption_reason", product.vat_exemption_reason),
            ):
                if cleaned_data.get(field) in (None, ""):
                    cleaned_data[field] = default
                    setattr(self.instance, field, default)
            for field in Product.ROUNDING_FIELDS:
                if cleaned_data.get(field) in (None, ""):
                    # A new line takes the product's; an edited one keeps its own.
                    value = getattr(self.instance if self.instance.pk else product, field)
                    cleaned_data[field] = value
                    setattr(self.instance, field, value)
        return cleaned_data


class SaleOrderLineInline(admin.TabularInline):
    model = SaleOrderLine
    form = SaleOrderLineForm
    fields = [
        "product",
        "description",
        "quantity",
        "uom",
        "price_unit",
        "tax_rate",
        "vat_category",
        "vat_exemption_reason",
        *LINE_BILLING_FIELDS,
        "qty_delivered",
        "qty_invoiced",
        "to_invoice",
        "line_invoice_status",
    ]
    readonly_fields = ["uom", "qty_delivered", "qty_invoiced", "to_invoice", "line_invoice_status"]
    extra = 0
    autocomplete_fields = ["product"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "uom", "product")

    def get_fields(self, request, obj=None):
        if AppSettings.load().uom_enabled:
            return self.fields
        return [f for f in self.fields if f != "uom"]

    @admin.display(description="to invoice")
    def to_invoice(self, line: SaleOrderLine):
        return line.qty_to_invoice if line.pk else "-"

    @admin.display(description="invoice status")
    def line_invoice_status(self, line: SaleOrderLine):
        return line.get_invoice_status_display() if line.pk else "-"


@admin.register(SaleOrder)
class SaleOrderAdmin(ServiceAdmin):
    list_display = [
        "name",
        "customer",
        "date_order",
        "state",
        "amount_total",
        "order_invoice_status",
    ]
    list_filter = ["state", "date_order"]
    search_fields = ["name", "customer__name"]
    date_hierarchy = "date_order"
    autocomplete_fields = ["customer"]
    inlines = [SaleOrderLineInline]
    actions = ["confirm_orders", "cancel_orders"]
    fields = [
        "name",
        "customer",
        "date_order",
        "customer_reference",
        "state",
        "confirmed_at",
        "note",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "order_invoice_status",
    ]
    readonly_fields = [
        "name",
        "state",
        "confirmed_at",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "order_invoice_status",
    ]

    def get_queryset(self, request):
        return orders_with_lines()

    def get_changeform_initial_data(self, request):
        return {"date_order": timezone.localdate(), **super().get_changeform_initial_data(request)}

    @admin.display(description="invoice status")
    def order_invoice_status(self, order: SaleOrder) -> str:
        if order.pk is None:
            return InvoiceStatus.NO.label
        return order.get_invoice_status_display()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.order_update(
                order=obj,
                customer=data["customer"],
                date_order=data["date_order"],
                note=data.get("note", ""),
                customer_reference=data.get("customer_reference", ""),
            )
        else:
            order = services.order_create(
                customer=data["customer"],
                date_order=data["date_order"],
                note=data.get("note", ""),
                customer_reference=data.get("customer_reference", ""),
                actor=request.user,
            )
            self.adopt(obj, order)

    def save_formset(self, request, form, formset, change):
        if formset.model is not SaleOrderLine:
            return super().save_formset(request, form, formset, change)
        order = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for line_form in formset.deleted_forms:
            if line_form.instance.pk:
                services.order_line_delete(line=line_form.instance)
                formset.deleted_objects.append(line_form.instance)
        for line_form in formset.forms:
            if line_form in formset.deleted_forms or not line_form.has_changed():
                continue
            data = line_form.cleaned_data
            values = {
                "quantity": data["quantity"],
                "description": data["description"],
                "price_unit": data["price_unit"],
                "tax_rate": data["tax_rate"],
                "vat_category": data.get("vat_category") or None,
                "vat_exemption_reason": data.get("vat_exemption_reason", ""),
                **{field: data.get(field) for field in LINE_BILLING_FIELDS},
            }
            if line_form.instance.pk:
                line = services.order_line_update(line=line_form.instance, **values)
                formset.changed_objects.append((line, line_form.changed_data))
            else:
                line = services.order_line_add(order=order, product=data["product"], **values)
                formset.new_objects.append(line)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != SaleOrder.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        self.delete_queryset(request, SaleOrder.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        # Only quotations are deleted: they have no task, timesheet or invoice yet.
        confirmed = [o.name for o in queryset if o.state != SaleOrder.DRAFT]
        if confirmed:
            raise ValidationError(
                "Only quotations can be deleted; cancel these orders instead: "
                + ", ".join(confirmed)
            )
        for order in queryset:
            for line in order.lines.all():
                services.order_line_delete(line=line)
            order.delete()

    def _run_on_orders(self, request, queryset, service, verb: str) -> None:
        done = 0
        for order in queryset:
            try:
                service(order=order, actor=request.user)
                done += 1
            except ValidationError as error:
                for message in error_messages(error):
                    self.message_user(request, f"{order.name}: {message}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} order(s).", messages.SUCCESS)

    @admin.action(description="Confirm the selected quotations", permissions=["change"])
    def confirm_orders(self, request, queryset):
        self._run_on_orders(request, queryset, services.order_confirm, "Confirmed")

    @admin.action(description="Cancel the selected orders", permissions=["change"])
    def cancel_orders(self, request, queryset):
        self._run_on_orders(request, queryset, services.order_cancel, "Cancelled")


@admin.register(SaleOrderLine)
class SaleOrderLineAdmin(ReadOnlyAdmin):
    """Order lines, read-only here: they are edited on their order."""

    list_display = [
        "order",
        "product",
        "description",
        "quantity",
        "uom",
        "qty_delivered",
        "qty_invoiced",
        "qty_to_invoice",
        "invoice_policy",
    ]
    list_filter = ["order__state", "invoice_policy", "product"]
    search_fields = ["order__name", "description", "product__name", "order__customer__name"]
    list_select_related = ["order", "uom", "product"]
