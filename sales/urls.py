from django.urls import path

from sales import views

app_name = "sales"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_create, name="order_create"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/lines/", views.order_lines, name="order_lines"),
    path("<int:pk>/lines/add/", views.order_line_add, name="line_add"),
    path("<int:pk>/confirm/", views.order_confirm, name="order_confirm"),
    path("<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("lines/<int:pk>/update/", views.order_line_update, name="line_update"),
    path("lines/<int:pk>/delete/", views.order_line_delete, name="line_delete"),
]
