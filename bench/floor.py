"""B3's floor: each benchmarked page's data fetched by one hand-written SQL query and
served as JSON by a bare view (no template, no form, no role check) to the logged-in
user the page is measured for: like every page of the product, the floor resolves that
user from the session first (authentication is part of serving the figures; a view that
skipped it would measure a different request).

The views are mounted under `/__bench__/floor/<page>/` by `bench.urls`, which the
benchmark installs as ROOT_URLCONF only while it measures; the parameters come from
the query string. The SQL runs unchanged on PostgreSQL and SQLite (window functions
give the totals of the paginated lists in the same query). Entries come with their
worked and billed minutes and their work type, lines with their rounding rule and
written-down quantity (issue 16), as the pages show them.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponseForbidden, JsonResponse

# page key -> (SQL, names of the query-string parameters, in order)
FLOOR_SQL: dict[str, tuple[str, tuple[str, ...]]] = {
    "team_overview": (
        """
        SELECT tm.id, tm.name, tm.use_timesheets, p.name,
               (SELECT COUNT(*) FROM helpdesk_ticket t
                WHERE t.team_id = tm.id AND t.stage IN ('new', 'in_progress')),
               (SELECT COALESCE(SUM(e.minutes), 0)
                FROM timesheets_timesheetentry e JOIN helpdesk_ticket t ON t.id = e.ticket_id
                WHERE t.team_id = tm.id AND e.date BETWEEN %s AND %s)
        FROM helpdesk_helpdeskteam tm
        LEFT JOIN projects_project p ON p.id = tm.project_id
        ORDER BY tm.name
        """,
        ("date_from", "date_to"),
    ),
    "ticket_form": (
        """
        SELECT t.id, t.subject, t.description, t.stage, t.priority, c.name, tm.name,
               a.first_name, a.last_name, k.name, l.qty_delivered, l.quantity,
               e.id, e.date, e.minutes, e.billed_minutes, w.name, e.description,
               u.first_name, u.last_name, e.invoice_line_id
        FROM helpdesk_ticket t
        JOIN sales_customer c ON c.id = t.customer_id
        JOIN helpdesk_helpdeskteam tm ON tm.id = t.team_id
        LEFT JOIN auth_user a ON a.id = t.assignee_id
        LEFT JOIN projects_task k ON k.id = t.task_id
        LEFT JOIN sales_saleorderline l ON l.id = k.sale_line_id
        LEFT JOIN timesheets_timesheetentry e ON e.ticket_id = t.id
        LEFT JOIN sales_worktype w ON w.id = e.work_type_id
        LEFT JOIN auth_user u ON u.id = e.employee_id
        WHERE t.id = %s
        ORDER BY e.date DESC, e.id DESC
        """,
        ("id",),
    ),
    "ticket_entries": (
        """
        SELECT e.id, e.date, e.minutes, e.billed_minutes, w.name, e.description,
               u.first_name, u.last_name, e.invoice_line_id
        FROM timesheets_timesheetentry e
        JOIN auth_user u ON u.id = e.employee_id
        JOIN sales_worktype w ON w.id = e.work_type_id
        WHERE e.ticket_id = %s
        ORDER BY e.date DESC, e.id DESC
        """,
        ("id",),
    ),
    "order_form": (
        """
        SELECT o.id, o.name, o.state, o.date_order, c.name, l.id, l.sequence, l.description,
               l.quantity, l.price_unit, l.tax_rate, l.invoice_policy, l.delivered_minutes,
               l.qty_delivered, l.qty_invoiced, l.qty_written_down, l.rounding_increment,
               l.rounding_mode, l.minimum_minutes, u.name, p.name, k.id
        FROM sales_saleorder o
        JOIN sales_customer c ON c.id = o.customer_id
        LEFT JOIN sales_saleorderline l ON l.order_id = o.id
        LEFT JOIN sales_uom u ON u.id = l.uom_id
        LEFT JOIN sales_product p ON p.id = l.product_id
        LEFT JOIN projects_task k ON k.sale_line_id = l.id
        WHERE o.id = %s
        ORDER BY l.sequence, l.id
        """,
        ("id",),
    ),
    "my_week": (
        """
        SELECT e.id, e.date, e.minutes, e.billed_minutes, w.name, e.ticket_id, t.subject,
               e.task_id, k.name, p.name, e.invoice_line_id
        FROM timesheets_timesheetentry e
        JOIN projects_project p ON p.id = e.project_id
        JOIN sales_worktype w ON w.id = e.work_type_id
        LEFT JOIN helpdesk_ticket t ON t.id = e.ticket_id
        LEFT JOIN projects_task k ON k.id = e.task_id
        WHERE e.employee_id = %s AND e.date BETWEEN %s AND %s
        ORDER BY e.date, e.id
        """,
        ("employee", "date_from", "date_to"),
    ),
    "all_timesheets": (
        """
        SELECT e.id, e.date, e.minutes, e.billed_minutes, w.name, e.description,
               u.first_name, u.last_name, p.name, t.subject, k.name, e.sale_line_id,
               e.invoice_line_id,
               COUNT(*) OVER () AS total_rows,
               SUM(e.minutes) OVER () AS total_minutes,
               SUM(e.billed_minutes) OVER () AS total_billed
        FROM timesheets_timesheetentry e
        JOIN auth_user u ON u.id = e.employee_id
        JOIN sales_worktype w ON w.id = e.work_type_id
        JOIN projects_project p ON p.id = e.project_id
        JOIN helpdesk_ticket t ON t.id = e.ticket_id
        LEFT JOIN projects_task k ON k.id = e.task_id
        WHERE t.customer_id = %s AND e.date BETWEEN %s AND %s
        ORDER BY e.date DESC, e.id DESC
        LIMIT 50
        """,
        ("customer", "date_from", "date_to"),
    ),
    "invoice_list": (
        """
        SELECT i.id, i.number, i.move_type, i.state, i.payment_state, i.invoice_date,
               i.due_date, i.amount_untaxed, i.amount_total, i.amount_due, c.name,
               COUNT(*) OVER () AS total_rows
        FROM invoicing_invoice i
        JOIN sales_customer c ON c.id = i.customer_id
        ORDER BY i.id DESC
        LIMIT 25
        """,
        (),
    ),
    "project_list": (
        """
        SELECT p.id, p.name, p.allow_timesheets, p.active, c.name,
               (SELECT SUM(k.allocated_hours) FROM projects_task k WHERE k.project_id = p.id),
               (SELECT SUM(k.logged_minutes) FROM projects_task k WHERE k.project_id = p.id)
               + p.untasked_minutes
        FROM projects_project p
        LEFT JOIN sales_customer c ON c.id = p.customer_id
        ORDER BY p.active DESC, p.name
        """,
        (),
    ),
}


def floor_view(request: HttpRequest, page: str) -> JsonResponse:
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    try:
        sql, names = FLOOR_SQL[page]
    except KeyError:
        raise Http404(f"No floor query for {page}.") from None
    params = [request.GET[name] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return JsonResponse({"rows": rows}, encoder=DjangoJSONEncoder)
