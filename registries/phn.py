"""British Columbia Personal Health Number (PHN).

Ten digits, the first is 9, the last is a check digit: digits 2 to 9 are weighted
2, 4, 8, 5, 10, 9, 7, 3; the check digit is 11 minus (the weighted sum mod 11). A
remainder of 0 or 1 leaves no valid check digit, so such numbers do not exist.
"""

from django.core.exceptions import ValidationError

WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3)


def is_ascii_digits(value: str) -> bool:
    """Only 0-9. str.isdigit alone also takes other scripts' digits (Arabic-Indic, full-width,
    superscripts), which the database's CHECK (and its [0-9] everywhere) refuses: one rule."""
    return value.isascii() and value.isdigit()


def normalize_phn(value: str) -> str:
    """Strip the spaces and dashes people type (`9123 456 789`)."""
    return "".join(ch for ch in str(value) if ch not in " -\t")


def phn_check_digit(body: str) -> int | None:
    """The check digit for the 8 digits after the leading 9, or None if none exists."""
    remainder = sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11
    if remainder < 2:
        return None
    return 11 - remainder


def phn_error(value: str) -> str | None:
    """Why `value` is not a valid PHN, in words a person can act on; None when it is valid."""
    phn = normalize_phn(value)
    if not is_ascii_digits(phn) or len(phn) != 10:
        return "A Personal Health Number has 10 digits."
    if phn[0] != "9":
        return "A BC Personal Health Number begins with 9."
    if phn_check_digit(phn[1:9]) != int(phn[9]):
        return "This is not a valid Personal Health Number (the check digit does not match)."
    return None


def is_valid_phn(value: str) -> bool:
    return phn_error(value) is None


def validate_phn(value: str) -> None:
    """Django validator: raises ValidationError with the reason."""
    error = phn_error(value)
    if error:
        raise ValidationError(error, code="invalid_phn")


def make_phn(serial: int) -> str | None:
    """The PHN built from an 8-digit serial, or None if that serial has no valid check digit.

    Used by synthetic data: real-looking numbers that pass the same rule as real ones.
    """
    body = f"{serial % 100_000_000:08d}"
    check = phn_check_digit(body)
    return None if check is None else f"9{body}{check}"
