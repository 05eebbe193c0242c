"""Service catalogue and service requests under /api/v1/ (SimpleRouter: the API root belongs to customers)."""

from rest_framework.routers import SimpleRouter

from services.api.requests import ServiceRequestViewSet, ServiceTypeViewSet

router = SimpleRouter(trailing_slash=False)
router.register("service-types", ServiceTypeViewSet, basename="service-type")
router.register("service-requests", ServiceRequestViewSet, basename="service-request")

urlpatterns = router.urls
