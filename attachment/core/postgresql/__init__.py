"""Attach's database backend: Django's PostgreSQL backend (see base.py)."""
