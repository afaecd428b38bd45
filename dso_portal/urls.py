from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from apps.accounts.api import MeView
from apps.anm.api import AlarmAcknowledgeView, AlarmListView, ProjectionView
from apps.grid.api import DERAssetViewSet, NetworkViewSet, PremiseViewSet
from apps.live.api import EventListView
from apps.studies.api import StudyRunViewSet

router = DefaultRouter()
router.register("networks", NetworkViewSet, basename="network")
router.register("premises", PremiseViewSet, basename="premise")
router.register("der-assets", DERAssetViewSet, basename="derasset")
router.register("studies", StudyRunViewSet, basename="study")

api = [
    path("", include(router.urls)),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("events/", EventListView.as_view(), name="api-events"),
    path("forecasting/", include("apps.forecasting.api_urls")),
    path("anm/projection/", ProjectionView.as_view(), name="api-anm-projection"),
    path("anm/alarms/", AlarmListView.as_view(), name="api-anm-alarms"),
    path("anm/alarms/<int:pk>/acknowledge/", AlarmAcknowledgeView.as_view(), name="api-anm-alarm-ack"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("forecasting/", include("apps.forecasting.urls")),
    path("anm/", include("apps.anm.urls")),
    path("", include("apps.controlroom.urls")),
]

handler400 = "apps.common.errors.bad_request"
handler404 = "apps.common.errors.not_found"
handler500 = "apps.common.errors.server_error"
