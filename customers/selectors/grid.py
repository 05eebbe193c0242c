"""The grid topology: feeders and transformer areas (台区), for staff and integrators only."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.access import staff_may_view
from customers.models import Feeder, TransformerArea


def transformer_areas_visible_to(*, user) -> QuerySet[TransformerArea]:
    if not staff_may_view(user=user, permission="customers.view_transformerarea"):
        return TransformerArea.objects.none()
    return TransformerArea.objects.select_related("feeder")


def feeders_visible_to(*, user) -> QuerySet[Feeder]:
    if not staff_may_view(user=user, permission="customers.view_feeder"):
        return Feeder.objects.none()
    return Feeder.objects.all()
