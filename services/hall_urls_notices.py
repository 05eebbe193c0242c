"""/notices/: outage notices for the customer's accounts."""

from django.urls import path

from services.views import notices

app_name = "notices"

urlpatterns = [path("", notices.notices, name="list")]
