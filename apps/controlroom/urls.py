from django.contrib.auth import views as auth_views
from django.urls import path

from apps.accounts.views import settings_page

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/settings/", settings_page, name="account-settings"),
    path("networks/<int:pk>/", views.network_detail, name="network-detail"),
    path("networks/<int:pk>/snapshot/", views.network_run_snapshot, name="network-run-snapshot"),
    path("networks/<int:pk>/parts/<slug:name>/", views.network_partial, name="network-partial"),
]
