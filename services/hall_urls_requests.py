"""Business-hall pages for service requests, mounted at /service-requests/ (notifications link to
/service-requests/<number>/)."""

from django.urls import path

from services.views import requests as views

app_name = "service_hall"

urlpatterns = [
    path("", views.my_requests, name="list"),
    path("new/", views.choose_service, name="choose"),
    path("new/<slug:code>/", views.apply, name="apply"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/cancel", views.cancel, name="cancel"),
    path("<str:number>/resubmit", views.resubmit, name="resubmit"),
    path("<str:number>/done", views.finish_step, name="finish_step"),
    path("<str:number>/rate", views.rate, name="rate"),
    path("<str:number>/files/<uuid:public_id>/", views.download, name="file"),
]
