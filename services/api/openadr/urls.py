"""/openadr3/: the paths of the OpenADR 3.1.0 spec (no trailing slashes, as the spec writes them)."""

from django.urls import path, re_path

from services.api.openadr import views

app_name = "openadr"

urlpatterns = [
    path("auth/server", views.AuthServerView.as_view(), name="auth-server"),
    path("auth/token", views.OpenADRTokenView.as_view(), name="token"),
    path("notifiers", views.NotifiersView.as_view(), name="notifiers"),
    re_path(r"^notifiers/mqtt/.*$", views.MqttTopicsView.as_view(), name="mqtt-topics"),
    path("programs", views.ProgramListView.as_view(), name="programs"),
    path("programs/<str:program_id>", views.ProgramDetailView.as_view(), name="program"),
    path("events", views.EventListView.as_view(), name="events"),
    path("events/<str:event_id>", views.EventDetailView.as_view(), name="event"),
    path("reports", views.ReportListView.as_view(), name="reports"),
    path("reports/<str:report_id>", views.ReportDetailView.as_view(), name="report"),
    path("subscriptions", views.SubscriptionListView.as_view(), name="subscriptions"),
    path("subscriptions/<str:subscription_id>", views.SubscriptionDetailView.as_view(), name="subscription"),
    path("vens", views.VenListView.as_view(), name="vens"),
    path("vens/<str:ven_id>", views.VenDetailView.as_view(), name="ven"),
    path("resources", views.ResourceListView.as_view(), name="resources"),
    path("resources/<str:resource_id>", views.ResourceDetailView.as_view(), name="resource"),
    re_path(r"^.*$", views.not_found, name="not-found"),
]
