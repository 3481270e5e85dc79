from django.urls import path

from helpdesk import views

app_name = "helpdesk"
urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/task-options/", views.task_options, name="task_options"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
]
