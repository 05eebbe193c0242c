"""The services app's business-hall pages, each area under its own path and URL namespace:

- /help/ (``knowledge``): knowledge articles and FAQ, public;
- /inbox/ (``inbox``): the signed-in user's notifications;
- /notices/ (``notices``): outage notices for the customer's accounts;
- /service-requests/ (``service_hall``): service requests (notifications link to /service-requests/<number>/).

marketing_portal/urls.py includes this module at the site root.
"""

from django.urls import include, path

from services.views import inbox, knowledge, notices
from services.views import requests as service_requests

knowledge_patterns = [
    path("", knowledge.help_index, name="index"),
    path("faq/", knowledge.faq, name="faq"),
    path("<slug:slug>/", knowledge.article, name="article"),
]

inbox_patterns = [
    path("", inbox.inbox, name="list"),
    path("read-all/", inbox.read_all, name="read_all"),
    path("<int:notification_id>/", inbox.notification, name="detail"),
]

notices_patterns = [path("", notices.notices, name="list")]

service_request_patterns = [
    path("", service_requests.my_requests, name="list"),
    path("new/", service_requests.choose_service, name="choose"),
    path("new/<slug:code>/", service_requests.apply, name="apply"),
    path("<str:number>/", service_requests.detail, name="detail"),
    path("<str:number>/cancel", service_requests.cancel, name="cancel"),
    path("<str:number>/resubmit", service_requests.resubmit, name="resubmit"),
    path("<str:number>/done", service_requests.finish_step, name="finish_step"),
    path("<str:number>/rate", service_requests.rate, name="rate"),
    path("<str:number>/files/<uuid:public_id>/", service_requests.download, name="file"),
]

urlpatterns = [
    path("help/", include((knowledge_patterns, "knowledge"))),
    path("inbox/", include((inbox_patterns, "inbox"))),
    path("notices/", include((notices_patterns, "notices"))),
    path("service-requests/", include((service_request_patterns, "service_hall"))),
]
