from django.urls import path

from services.views import demand_response_staff as dr_staff
from services.views.staff import open_inspection_view

app_name = "services_staff"

urlpatterns = [
    path("inspections/open/", open_inspection_view, name="open_inspection"),
    # One demand-response event: results per account and every baseline side by side (with exports).
    path("demand-response/events/<int:pk>/results/", dr_staff.event_results, name="dr_event_results"),
    path(
        "demand-response/events/<int:pk>/results.<str:fmt>",
        dr_staff.event_results_export,
        name="dr_event_results_export",
    ),
    path("demand-response/events/<int:pk>/baselines/", dr_staff.event_compare, name="dr_event_compare"),
    path(
        "demand-response/events/<int:pk>/baselines/<slug:key>.<str:fmt>",
        dr_staff.event_compare_export,
        name="dr_event_compare_export",
    ),
]
