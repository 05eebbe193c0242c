"""The services app's part of /api/v1/ (one SimpleRouter: the API root belongs to customers): outage
notices, notifications, knowledge articles, the service catalogue, service requests and demand response."""

from rest_framework.routers import SimpleRouter

from services.api.articles import ArticleViewSet
from services.api.demand_response import (
    DREventViewSet,
    DRParticipationViewSet,
    DRProgramViewSet,
    DRSettlementViewSet,
)
from services.api.notices import OutageNoticeViewSet
from services.api.notifications import NotificationViewSet
from services.api.requests import ServiceRequestViewSet, ServiceTypeViewSet

router = SimpleRouter(trailing_slash=False)
router.register("outage-notices", OutageNoticeViewSet, basename="outage-notice")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("articles", ArticleViewSet, basename="article")
router.register("service-types", ServiceTypeViewSet, basename="service-type")
router.register("service-requests", ServiceRequestViewSet, basename="service-request")

router.register("dr-programs", DRProgramViewSet, basename="dr-program")
router.register("dr-events", DREventViewSet, basename="dr-event")
router.register("dr-participations", DRParticipationViewSet, basename="dr-participation")
router.register("dr-settlements", DRSettlementViewSet, basename="dr-settlement")

urlpatterns = router.urls
