from .audit import AuditEvent
from .jobs import JobRun

__all__ = ["AuditEvent", "JobRun"]
