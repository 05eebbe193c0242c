from analytics.models.dashboard import DashboardAccess
from analytics.models.segments import AccountSegment, Segment, SegmentationRun

__all__ = ["AccountSegment", "DashboardAccess", "Segment", "SegmentationRun"]
