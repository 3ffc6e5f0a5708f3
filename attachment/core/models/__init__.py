"""The core's records: the audit trail and background job runs.

They keep the `attachment` app label (and so their tables): Django finds them through
`attachment/models.py`.
"""

from .audit import AuditEvent
from .jobs import JobRun

__all__ = ["AuditEvent", "JobRun"]
