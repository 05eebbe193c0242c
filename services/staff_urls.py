from django.urls import path

from services.views.staff import open_inspection_view

app_name = "services_staff"

urlpatterns = [
    path("inspections/open/", open_inspection_view, name="open_inspection"),
]
