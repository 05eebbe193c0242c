from rest_framework.routers import SimpleRouter

from billing.api.tariffs import TariffViewSet

router = SimpleRouter(trailing_slash=False)
router.register("tariffs", TariffViewSet, basename="tariff")

urlpatterns = router.urls
