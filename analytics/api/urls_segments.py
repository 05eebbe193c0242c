"""Segmentation's part of /api/v1/."""

from django.urls import path

from analytics.api.segments import AccountSegmentView, SegmentListView

urlpatterns = [
    path("segments", SegmentListView.as_view(), name="segments"),
    path("accounts/<str:number>/segment", AccountSegmentView.as_view(), name="account-segment"),
]
