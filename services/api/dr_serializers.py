"""Serializers of the demand-response API (/api/v1/dr-…): programs with the terms in force, events,
participations, settlements (results) and the customer's statement."""

from __future__ import annotations

from rest_framework import serializers

from services.models import DREvent, DRParticipation, DRProgram, DRProgramTerms, DRSettlement


class DRTermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = DRProgramTerms
        fields = [
            "version",
            "valid_from",
            "valid_to",
            "energy_price",
            "capacity_price",
            "availability_price",
            "threshold_ratio",
            "payable_ratio_cap",
            "penalty_below_ratio",
            "penalty_factor",
            "cap_per_event",
            "cap_per_month",
            "cap_per_season",
            "summary",
        ]
        read_only_fields = fields


class DRProgramSerializer(serializers.ModelSerializer):
    terms = DRTermsSerializer(many=True, read_only=True)

    class Meta:
        model = DRProgram
        fields = [
            "id",
            "code",
            "name",
            "description",
            "kind",
            "notice_class",
            "min_notice_minutes",
            "response_deadline_minutes",
            "valid_from",
            "valid_to",
            "eligible_categories",
            "min_contracted_kva",
            "baseline_method",
            "max_event_hours",
            "max_events_per_month",
            "terms",
        ]
        read_only_fields = fields


class DREventSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = DREvent
        fields = [
            "id",
            "program",
            "name",
            "start",
            "end",
            "notice_at",
            "response_deadline",
            "requested_kw",
            "status",
            "cancel_reason",
        ]
        read_only_fields = fields


class DRParticipationSerializer(serializers.ModelSerializer):
    event = DREventSerializer(read_only=True)
    account_number = serializers.CharField(source="account.number", read_only=True)

    class Meta:
        model = DRParticipation
        fields = ["id", "event", "account_number", "committed_kw", "response", "answered", "responded_at", "invited_at"]
        read_only_fields = fields


class DRSettlementSerializer(serializers.ModelSerializer):
    """One participation's result: measured, priced, posted."""

    event_id = serializers.IntegerField(source="participation.event_id", read_only=True)
    participation_id = serializers.IntegerField(read_only=True)
    account_number = serializers.CharField(source="participation.account.number", read_only=True)
    committed_kw = serializers.DecimalField(
        source="participation.committed_kw", max_digits=12, decimal_places=3, read_only=True
    )
    terms_version = serializers.IntegerField(source="terms.version", read_only=True)

    class Meta:
        model = DRSettlement
        fields = [
            "id",
            "event_id",
            "participation_id",
            "account_number",
            "status",
            "revision",
            "terms_version",
            "baseline_method",
            "committed_kw",
            "baseline_kwh",
            "actual_kwh",
            "verified_kwh",
            "verified_kw",
            "ratio",
            "incentive",
            "penalty",
            "net",
            "posted_net",
            "computed_at",
            "posted_at",
        ]
        read_only_fields = fields


class StatementIntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    baseline_kw = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    actual_kw = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    response_kw = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)


class SkippedDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    code = serializers.CharField()
    text = serializers.CharField()


class StatementLedgerEntrySerializer(serializers.Serializer):
    occurred_on = serializers.DateField()
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Positive: owed; negative: credited.")
    description = serializers.CharField()
    posting_key = serializers.CharField()


class DRStatementSerializer(serializers.Serializer):
    """The settlement statement: the result, every interval, the baseline's days, the money on the ledger."""

    settlement = DRSettlementSerializer()
    window_hours = serializers.DecimalField(max_digits=5, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Before the caps.")
    capped_by = serializers.CharField(allow_null=True, help_text="event, month, season or null.")
    shortfall_kw = serializers.DecimalField(max_digits=12, decimal_places=3)
    intervals = StatementIntervalSerializer(many=True, source="rows")
    days_used = serializers.ListField(child=serializers.DateField())
    days_skipped = SkippedDaySerializer(many=True)
    ledger_entries = StatementLedgerEntrySerializer(many=True, source="entries")
    bill_id = serializers.SerializerMethodField(help_text="The bill the credit shows on; null until it is issued.")

    def get_bill_id(self, sheet) -> int | None:
        return sheet.bill.pk if sheet.bill else None
