"""The services app's notices, notifications and knowledge part of /api/v1/ (one SimpleRouter)."""

from rest_framework.routers import SimpleRouter

from services.api.articles import ArticleViewSet
from services.api.notices import OutageNoticeViewSet
from services.api.notifications import NotificationViewSet

router = SimpleRouter(trailing_slash=False)
router.register("outage-notices", OutageNoticeViewSet, basename="outage-notice")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("articles", ArticleViewSet, basename="article")

urlpatterns = router.urls
