from django.urls import path

from . import views

urlpatterns = [
    path("", views.projections_home, name="anm-home"),
    path("networks/<int:pk>/", views.projections, name="anm-projections"),
    path("networks/<int:pk>/run/", views.projection_run, name="anm-projection-run"),
]
