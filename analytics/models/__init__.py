from .segments import AccountSegment, Segment, SegmentationRun  # noqa: F401
