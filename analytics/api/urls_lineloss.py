from django.urls import path

from analytics.api.lineloss import LineLossAreasView, LineLossSuspectsView

urlpatterns = [
    path("line-loss/areas", LineLossAreasView.as_view(), name="line-loss-areas"),
    path("line-loss/suspects", LineLossSuspectsView.as_view(), name="line-loss-suspects"),
]
