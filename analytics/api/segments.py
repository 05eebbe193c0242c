"""Customer segments in the API: GET /api/v1/segments (the current runs with their segments and
centroids; staff and integrators holding analytics.view_segmentationrun) and GET
/api/v1/accounts/{number}/segment (an account's segments in the current runs: staff holding
analytics.view_accountsegment for any account they may see, portal customers for their own)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated

from analytics.models import AccountSegment, Segment, SegmentationRun
from analytics.models.segments import DayType
from analytics.selectors.segments import account_segments, current_run_list
from customers.access import access_account, is_portal_customer
from customers.api.permissions import ModelPermissionsWithView


class SegmentSerializer(serializers.ModelSerializer):
    centroid = serializers.ListField(child=serializers.FloatField(), help_text="Mean-normalised kWh per slot (mean 1).")

    class Meta:
        model = Segment
        fields = ["number", "shape", "label", "peak_hour", "size", "centroid"]


class SegmentationRunSerializer(serializers.ModelSerializer):
    segments = SegmentSerializer(many=True, read_only=True)
    scores = serializers.DictField(
        child=serializers.DictField(), help_text='Per k: {"silhouette", "inertia", "smallest", "eligible"}.'
    )

    class Meta:
        model = SegmentationRun
        fields = [
            "id",
            "day_type",
            "window_start",
            "window_end",
            "slots",
            "k",
            "k_fixed",
            "criterion",
            "scores",
            "accounts_clustered",
            "accounts_skipped",
            "skipped_reasons",
            "as_of",
            "segments",
        ]


@extend_schema(
    summary="Current segmentation runs",
    parameters=[OpenApiParameter("day_type", str, enum=DayType.values, required=False)],
)
class SegmentListView(generics.ListAPIView):
    serializer_class = SegmentationRunSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = SegmentationRun.objects.none()  # for the permission class's model; rows come from get_queryset

    def get_queryset(self):
        day_type = self.request.query_params.get("day_type")
        if day_type is not None and day_type not in DayType.values:
            raise ValidationError({"day_type": [f"Must be one of: {', '.join(DayType.values)}."]})
        return current_run_list(day_type=day_type)


class AccountSegmentSerializer(serializers.ModelSerializer):
    day_type = serializers.CharField(source="run.day_type")
    run = serializers.IntegerField(source="run_id")
    segment = serializers.IntegerField(source="segment.number")
    shape = serializers.CharField(source="segment.shape")
    # A declared field (the serializer's metaclass moves it off the class), not Field.label.
    label = serializers.CharField(source="segment.label")  # type: ignore[assignment]

    class Meta:
        model = AccountSegment
        fields = ["day_type", "run", "segment", "shape", "label", "distance"]


class AccountSegmentPermission(IsAuthenticated):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not super().has_permission(request, view):
            return False
        return is_portal_customer(user) or user.has_perm("analytics.view_accountsegment")


@extend_schema(summary="An account's segments in the current runs")
class AccountSegmentView(generics.ListAPIView):
    serializer_class = AccountSegmentSerializer
    permission_classes = [AccountSegmentPermission]
    pagination_class = None
    queryset = AccountSegment.objects.none()  # for the schema's model; rows come from get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        account = access_account(user=self.request.user, account_number=self.kwargs["number"])
        return account_segments(account=account)
