"""Matching: propose providers for waiting registrations (see engine.py for the rules).

Pure Python; the Django side (models, management command) calls in, never the reverse.
"""

from attachment.matching.engine import (
    MatchResult,
    Proposal,
    ProviderSlot,
    RegistrationItem,
    language_name,
    match,
    ranked,
)

__all__ = [
    "MatchResult",
    "Proposal",
    "ProviderSlot",
    "RegistrationItem",
    "language_name",
    "match",
    "ranked",
]
