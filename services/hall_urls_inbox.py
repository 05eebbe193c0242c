"""/inbox/: the signed-in user's notifications."""

from django.urls import path

from services.views import inbox

app_name = "inbox"

urlpatterns = [
    path("", inbox.inbox, name="list"),
    path("read-all/", inbox.read_all, name="read_all"),
    path("<int:notification_id>/", inbox.notification, name="detail"),
]
