from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.calendar import forget_staff_days
from core.models import CalendarDay


@receiver([post_save, post_delete], sender=CalendarDay)
def _calendar_day_changed(sender: type[CalendarDay], **kwargs: Any) -> None:
    forget_staff_days()
