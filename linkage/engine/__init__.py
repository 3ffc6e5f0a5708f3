"""The record-linkage engine: pure Python (polars, numpy, rapidfuzz), no Django, so it runs
on files (``manage.py link``) exactly as on the database.

    link(registry, local, settings=None) -> LinkResult   # a local list against the registry
    dedupe(people, settings=None) -> list[DuplicatePair]  # the registry against itself

`registry` has the REGISTRY.csv columns (person_id, last_name, first_name,
date_of_birth, phn, gender, postal_code, phone, email, community), `local` the checked
columns of a local waitlist file (list_id, household, ..., PHNs with a bad check digit
already blank). Missing values are empty strings or null. The decisions follow
shared/formats/local-waitlist.md; `Decision.to_json()` is one entry of DECISIONS.json.
"""

from linkage.engine.link import dedupe, link
from linkage.engine.types import Candidate, Decision, DuplicatePair, LinkResult, LinkSettings

__all__ = ["Candidate", "Decision", "DuplicatePair", "LinkResult", "LinkSettings", "dedupe", "link"]
