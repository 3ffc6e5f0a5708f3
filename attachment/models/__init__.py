from .audit import AuditEvent
from .jobs import JobRun
from .workflow import DeclinedPair, MatchRun, Offer, Proposal

__all__ = ["AuditEvent", "DeclinedPair", "JobRun", "MatchRun", "Offer", "Proposal"]
