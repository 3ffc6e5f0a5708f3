"""The `attachment` app's models, defined where their concern lives.

The app label (and so every table name and migration) is `attachment`; the classes are
in the core (audit trail, job runs) and the workflow (runs, proposals, offers).
"""

from attachment.core.models import AuditEvent, JobRun
from attachment.workflow.models import DeclinedPair, MatchRun, Offer, Proposal, UnplacedRegistration

__all__ = ["AuditEvent", "DeclinedPair", "JobRun", "MatchRun", "Offer", "Proposal", "UnplacedRegistration"]
