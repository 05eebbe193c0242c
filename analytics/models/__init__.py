from analytics.models.dashboard import DashboardAccess
from analytics.models.lineloss import AreaLossDay, AreaLossMonth
from analytics.models.segments import AccountSegment, Segment, SegmentationRun

__all__ = ["AccountSegment", "AreaLossDay", "AreaLossMonth", "DashboardAccess", "Segment", "SegmentationRun"]
