from django.urls import path

from timesheets import views

app_name = "timesheets"
urlpatterns = [
    path("", views.my_week, name="my_week"),
    path("cell/", views.week_cell, name="week_cell"),
    path("all/", views.all_entries, name="all"),
    path("all/export.csv", views.export_csv, name="export_csv"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/approve/", views.approve, name="approve"),
    path("entries/<int:entry_pk>/billed/", views.entry_billed, name="entry_billed"),
]
# The entries panel of a ticket (its Timesheets tab) and of a task.
for kind in ("ticket", "task"):
    urlpatterns += [
        path(f"{kind}/<int:pk>/", views.entries_panel, {"kind": kind}, name=f"{kind}_entries"),
        path(f"{kind}/<int:pk>/add/", views.entry_add, {"kind": kind}, name=f"{kind}_entry_add"),
        path(
            f"{kind}/<int:pk>/<int:entry_pk>/edit/",
            views.entry_edit,
            {"kind": kind},
            name=f"{kind}_entry_edit",
        ),
        path(
            f"{kind}/<int:pk>/<int:entry_pk>/delete/",
            views.entry_delete,
            {"kind": kind},
            name=f"{kind}_entry_delete",
        ),
    ]
