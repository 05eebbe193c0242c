from rest_framework.routers import SimpleRouter

from billing.api.bills import BillViewSet, LedgerViewSet, PrepaidViewSet
from billing.api.payments import PaymentViewSet

router = SimpleRouter(trailing_slash=False)
router.register("payments", PaymentViewSet, basename="payment")
router.register("bills", BillViewSet, basename="bill")
router.register("ledger", LedgerViewSet, basename="ledger")
router.register("prepaid", PrepaidViewSet, basename="prepaid")

urlpatterns = router.urls
