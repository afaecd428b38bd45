from django.urls import path

from . import views

urlpatterns = [
    path("", views.projections_home, name="anm-home"),
    path("networks/<int:pk>/", views.projections, name="anm-projections"),
    path("networks/<int:pk>/run/", views.projection_run, name="anm-projection-run"),
    path("networks/<int:pk>/parts/<slug:name>/", views.projection_partial, name="anm-projection-partial"),
    path("networks/<int:pk>/alarms/<int:alarm_id>/acknowledge/", views.alarm_acknowledge_row,
         name="anm-alarm-acknowledge"),
]
