"""One kind of error for what a person asked that cannot be done, and one way views show it.

Services raise a `DomainError` (or a subclass named for its concern) with words the user
can act on, optionally per field; views catch `DomainError` and either attach it to the
form they re-render (`to_form`) or flash it on the page they go back to (`flash`).
It is a `ValidationError`, so a model's own `full_clean` errors are shown the same way.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A change that cannot be made, with a reason a person can act on."""

    def __str__(self) -> str:
        return text(self)


def text(exc: ValidationError) -> str:
    """The error's messages as one plain sentence or more (no list brackets)."""
    return " ".join(exc.messages)


def to_form(form, exc: ValidationError) -> None:
    """Put the error on the form: on its field where it names one the form has, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def flash(request, exc: ValidationError) -> None:
    messages.error(request, text(exc))
