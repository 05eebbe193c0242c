"""The services app's business-hall pages, each area under its own path and URL namespace:

- /help/ (``knowledge``): knowledge articles and FAQ, public;
- /inbox/ (``inbox``): the signed-in user's notifications;
- /notices/ (``notices``): outage notices for the customer's accounts;
- /service-requests/ (``service_hall``): service requests (notifications link to /service-requests/<number>/);
- /demand-response/ (``dr_hall``): demand-response programs, my events, statements (notifications link to
  /demand-response/events/<id>/).

marketing_portal/urls.py includes this module at the site root.
"""

from django.urls import include, path

from services.views import demand_response, inbox, knowledge, notices
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

demand_response_patterns = [
    path("", demand_response.programs, name="programs"),
    path("programs/<slug:code>/enrol", demand_response.enrol, name="enrol"),
    path("enrolments/<int:enrolment_id>/withdraw", demand_response.withdraw, name="withdraw"),
    path("events/", demand_response.events, name="events"),
    path("events/<int:event_id>/", demand_response.event, name="event"),
    path("events/<int:event_id>/answer", demand_response.answer, name="answer"),
    path("events/<int:event_id>/statement/", demand_response.statement, name="statement"),
    path("events/<int:event_id>/statement.pdf", demand_response.statement_pdf, name="statement_pdf"),
]

urlpatterns = [
    path("help/", include((knowledge_patterns, "knowledge"))),
    path("inbox/", include((inbox_patterns, "inbox"))),
    path("notices/", include((notices_patterns, "notices"))),
    path("service-requests/", include((service_request_patterns, "service_hall"))),
    path("demand-response/", include((demand_response_patterns, "dr_hall"))),
]
