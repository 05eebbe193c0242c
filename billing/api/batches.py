"""POST /api/v1/meter-data/batches (file upload or JSON) → 202 with the batch id; GET a batch for its
status, counts and rejected rows. Head-end systems and staff with the ingest permissions only."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from billing.filtersets import IngestBatchFilterSet
from billing.models import IngestBatch, RejectedRow
from billing.services.ingest import BatchInputError
from billing.services.ingest.uploads import submit_json_readings, submit_uploaded_file
from core import clock
from core.api.parsers import JSONParser
from customers.api.permissions import ModelPermissionsWithView

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
REJECTED_ROWS_IN_DETAIL = 1000


class RejectedRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = RejectedRow
        fields = ["line_number", "reason_code", "message", "raw"]


class IngestBatchSerializer(serializers.ModelSerializer):
    rejected_rows = serializers.SerializerMethodField()
    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = IngestBatch
        fields = [
            "id",
            "status",
            "source",
            "filename",
            "layout",
            "content_sha256",
            "size_bytes",
            "as_of",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "attempts",
            "error",
            "received",
            "inserted",
            "updated",
            "unchanged",
            "duplicates",
            "rejected",
            "estimated",
            "rejected_rows",
        ]
        read_only_fields = fields

    def get_rejected_rows(self, batch: IngestBatch) -> list[dict]:
        # The first rows in line order; the admin and ?page of the CSV export show the rest.
        rows = batch.rejected_rows.order_by("line_number", "id")[:REJECTED_ROWS_IN_DETAIL]
        return RejectedRowSerializer(rows, many=True).data  # type: ignore[return-value]  # many=True: the stubs miss the list


class BatchUploadSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="CSV (long, wide 96/48/24, register) or .xlsx export")
    readings = serializers.ListField(child=serializers.DictField(), required=False, help_text="JSON records")

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("readings")):
            raise ValidationError({"non_field_errors": ["Send either a file or a JSON list under 'readings'."]})
        upload = attrs.get("file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                {"file": [f"Files above {MAX_UPLOAD_BYTES // 2**20} MiB go through the ingest_readings command."]}
            )
        return attrs


@extend_schema_view(
    list=extend_schema(summary="List ingest batches (newest first)"),
    retrieve=extend_schema(summary="A batch's status, counts and its first rejected rows with line numbers"),
    create=extend_schema(
        summary="Upload meter data; processed asynchronously on the ingest queue",
        description="A workbook's layout is read on the queue: its 202 answer has an empty layout.",
        request={"multipart/form-data": BatchUploadSerializer, "application/json": BatchUploadSerializer},
        responses={
            202: inline_serializer(
                "BatchAccepted",
                {
                    "id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "layout": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(
                description="No file/readings, a header that matches no known layout, or an .xlsx whose zip "
                "declares more than the limits (uncompressed size, compression ratio, parts); the message names the limit"
            ),
        },
    ),
)
class IngestBatchViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    queryset = IngestBatch.objects.all()
    serializer_class = IngestBatchSerializer
    permission_classes = [ModelPermissionsWithView]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = IngestBatchFilterSet
    ordering_fields = ["created_at", "id"]

    def get_serializer_class(self):
        return BatchUploadSerializer if self.action == "create" else IngestBatchSerializer

    def create(self, request, *args, **kwargs):
        upload = BatchUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        as_of = clock.now()  # an interface reads the clock and hands it to the service
        try:
            if upload.validated_data.get("readings"):
                batch = submit_json_readings(
                    source=IngestBatch.Source.API,
                    payload={"readings": upload.validated_data["readings"]},
                    as_of=as_of,
                    created_by=request.user,
                )
            else:
                batch = submit_uploaded_file(
                    source=IngestBatch.Source.API,
                    upload=upload.validated_data["file"],
                    as_of=as_of,
                    created_by=request.user,
                )
        except BatchInputError as exc:
            field = "readings" if upload.validated_data.get("readings") else "file"
            raise ValidationError({field: [str(exc)]}) from exc
        return Response(
            {"id": batch.pk, "status": batch.status, "layout": batch.layout}, status=status.HTTP_202_ACCEPTED
        )
