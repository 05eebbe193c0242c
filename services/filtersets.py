"""django-filter FilterSets of the services app: the query parameters of the API lists of service
requests, knowledge articles, outage notices and notifications. The app has no staff list page outside
the admin: the staff console's request queues are the admin's list filters (admin/requests.py), whose
"overdue" and "assigned to me" differ from the API's on purpose (they are queues of open work)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core import clock
from core.api.filters import FilterSet
from services.models import Article, Notification, OutageNotice, ServiceRequest
from services.selectors.knowledge import search_articles


class ServiceRequestFilterSet(FilterSet):
    status = django_filters.CharFilter(label=_("status (step code)"))
    type = django_filters.CharFilter(field_name="service_type__code", label=_("service type code"))
    area = django_filters.CharFilter(field_name="area__code", label=_("transformer area code"))
    sla_state = django_filters.ChoiceFilter(choices=ServiceRequest.SlaState.choices, label=_("time limit state"))
    assigned_to = django_filters.ChoiceFilter(
        choices=[("me", "me")], method="filter_assigned_to", label=_("assigned to (only “me”)")
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("open and past the current step's due time")
    )

    class Meta:
        model = ServiceRequest
        fields = ["status", "type", "area", "sla_state", "assigned_to", "overdue"]

    def filter_assigned_to(self, queryset, name, value):
        return queryset.filter(assigned_to=self.request.user)

    def filter_overdue(self, queryset, name, value):
        # Read against the clock rather than sla_state, which the beat task refreshes only periodically.
        late = queryset.open().filter(step_due_at__lt=clock.now())
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class ArticleFilter(FilterSet):
    q = django_filters.CharFilter(method="filter_q", max_length=100, label="Words that must all appear (substrings)")

    class Meta:
        model = Article
        fields = ["kind", "category", "language", "slug", "service_type_code"]

    def filter_q(self, queryset, name, value):
        return search_articles(articles=queryset, query=value) if value.strip() else queryset


class OutageNoticeFilter(FilterSet):
    # A choice rather than a BooleanFilter, which would silently ignore a value like "maybe".
    current = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="filter_current",
        label="true: only published notices not yet past their expected end; false: the others",
    )

    class Meta:
        model = OutageNotice
        fields = ["status", "kind"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_current(self, queryset, name, value):
        current = OutageNotice.objects.current_or_upcoming(as_of=clock.now()).values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


class NotificationFilter(FilterSet):
    # A choice rather than a BooleanFilter, which would silently ignore a value like "maybe".
    unread = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        field_name="read_at",
        lookup_expr="isnull",
        label="true: only unread; false: only read",
    )

    class Meta:
        model = Notification
        fields = ["kind"]
