"""What every API view shares: audited reads, and forms of the pages reused as validators."""

from rest_framework import exceptions

from attachment.core import audit


def audit_list(request, object_type: str, summary: str, *, search: str = ""):
    """A list showing people is recorded like the page's list: who, from where, which system."""
    audit.record(user=request.user, action="search" if search else "view", object_type=object_type,
                 object_id="list", actor=request.actor, summary=f"API: {summary}"[:300], reason=search[:100])


def audit_view(request, obj, summary: str):
    audit.record(user=request.user, action="view", obj=obj, actor=request.actor, summary=f"API: {summary}"[:300])


def form_or_400(form):
    """The page's own form decides what is valid; its errors become the API's field errors."""
    if not form.is_valid():
        errors = {("non_field_errors" if name == "__all__" else name): messages
                  for name, messages in form.errors.items()}
        raise exceptions.ValidationError(errors)
    return form.cleaned_data
