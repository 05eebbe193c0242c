from analytics.models.lineloss import AreaLossDay, AreaLossMonth  # noqa: F401
