"""Project pages: projects with allocated vs logged hours, a project's tasks by stage,
the task form. A task's entries are served by the timesheets app (loaded with htmx)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import roles
from core.forms import apply_service_errors
from core.models import AppSettings
from core.views import helpdesk_user_required
from projects import selectors, services
from projects.forms import TaskForm
from projects.models import Project, Task


@helpdesk_user_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/project_list.html", {"projects": selectors.project_list()})


@helpdesk_user_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("customer"), pk=pk)
    tasks = list(selectors.project_tasks(project=project))
    stages = [
        {"code": code, "label": label, "tasks": [t for t in tasks if t.stage == code]}
        for code, label in Task.STAGE_CHOICES
    ]
    return render(request, "projects/project_detail.html", {"project": project, "stages": stages})


@helpdesk_user_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        task = selectors.task_detail(pk=pk)
    except Task.DoesNotExist:
        raise Http404("No such task.") from None
    can_edit = roles.is_manager(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only a Manager edits tasks.")
    form = TaskForm(request.POST or None, instance=task, read_only=not can_edit)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.task_update(task=task, **form.changes())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Task saved.")
            return redirect("projects:task_detail", pk=task.pk)
    if form.errors:
        task = selectors.task_detail(pk=pk)
    context = {
        "task": task,
        "form": form,
        "can_edit": can_edit,
        "line": task.sale_line,
        "show_timesheets": AppSettings.load().timesheets_enabled,
    }
    return render(request, "projects/task_detail.html", context)
