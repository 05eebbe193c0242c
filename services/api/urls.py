"""The services app's part of /api/v1/ (one SimpleRouter: the API root belongs to customers): outage
notices, notifications, knowledge articles, the service catalogue and service requests."""

from rest_framework.routers import SimpleRouter

from services.api.articles import ArticleViewSet
from services.api.notices import OutageNoticeViewSet
from services.api.notifications import NotificationViewSet
from services.api.requests import ServiceRequestViewSet, ServiceTypeViewSet

router = SimpleRouter(trailing_slash=False)
router.register("outage-notices", OutageNoticeViewSet, basename="outage-notice")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("articles", ArticleViewSet, basename="article")
router.register("service-types", ServiceTypeViewSet, basename="service-type")
router.register("service-requests", ServiceRequestViewSet, basename="service-request")

urlpatterns = router.urls
