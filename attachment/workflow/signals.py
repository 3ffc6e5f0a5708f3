"""What the workflow tells whoever listens, inside its own transaction.

`household_attached` is sent by `services.patient_confirm` once the household's panel
entries are written, before the transaction commits: a receiver's writes (the EMR
handoff's outbox row) commit or roll back with the attachment.
"""

from django.dispatch import Signal

# Sent with offer= (the attached Offer) and actor=.
household_attached = Signal()
