from rest_framework.routers import DefaultRouter

from customers.api import views

router = DefaultRouter(trailing_slash=False)
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("transformer-areas", views.TransformerAreaViewSet, basename="transformer-area")
router.register("feeders", views.FeederViewSet, basename="feeder")
router.register("interactions", views.InteractionViewSet, basename="interaction")

urlpatterns = router.urls
