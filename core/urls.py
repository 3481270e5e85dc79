from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("configuration/", views.configuration, name="configuration"),
    path("history/<str:label>/<int:pk>/", views.history, name="history"),
]
