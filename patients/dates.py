"""A date of birth as three boxes, day, month and year, after the GOV.UK Design System's
date input: a fieldset whose legend is the question, a hint, and errors that say which
part is missing or wrong ("Date of birth must include a month"), in the person's language.

The day box carries the field's own id, so a link from the error summary lands on it; the
month and year boxes are `<id>_month` and `<id>_year`. A value posted as one ISO date under
the field's own name (a link, a script, an older page) is read as well.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

OLDEST_BIRTH = datetime.date(1900, 1, 1)
PARTS = ("day", "month", "year")
PART_LABELS = {"day": _("Day"), "month": _("Month"), "year": _("Year")}
PART_AUTOCOMPLETE = {"day": "bday-day", "month": "bday-month", "year": "bday-year"}


class DatePartsWidget(forms.MultiWidget):
    """Three numeric text boxes (not <input type=date>: GOV.UK found people cannot use it
    for a date of birth, years back, with a keyboard or a screen reader)."""

    def __init__(self, attrs=None):
        super().__init__({part: forms.TextInput() for part in PARTS}, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = [data.get(f"{name}_{part}") for part in PARTS]
        if not any(parts) and data.get(name):
            try:
                return self.decompress(datetime.date.fromisoformat(str(data.get(name))))
            except ValueError:
                return ["", "", ""]
        return parts

    def value_omitted_from_data(self, data, files, name):
        return name not in data and all(f"{name}_{part}" not in data for part in PARTS)

    def id_for_label(self, id_):
        return id_  # the day box

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**self.attrs, **(attrs or {})}
        base_id = attrs.pop("id", None) or f"id_{name}"
        if not isinstance(value, list):
            value = self.decompress(value)
        described = attrs.pop("aria-describedby", "")
        invalid = attrs.pop("aria-invalid", None)
        boxes = []
        for part, part_value in zip(PARTS, value):
            box_id = base_id if part == "day" else f"{base_id}_{part}"
            extra = {"aria-describedby": described} if described else {}
            if invalid:
                extra["aria-invalid"] = "true"
            boxes.append((
                box_id, PART_LABELS[part], part, f"{name}_{part}", box_id, "" if part_value is None else part_value,
                4 if part == "year" else 2, PART_AUTOCOMPLETE[part] if attrs.get("autocomplete") != "off" else "off",
                format_html_join("", ' {}="{}"', extra.items()),
            ))
        return format_html(
            '<div class="date-input">{}</div>',
            format_html_join(
                "",
                '<div class="date-part"><label for="{}">{}</label>'
                '<input class="date-{}" type="text" inputmode="numeric" name="{}" id="{}" value="{}" '
                'maxlength="{}" autocomplete="{}"{}></div>',
                boxes,
            ),
        )


def _number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


class DateOfBirthField(forms.MultiValueField):
    widget = DatePartsWidget
    default_error_messages = {
        "required": _("Enter your date of birth"),
        "incomplete": _("Enter your date of birth"),
    }
    missing_messages = {
        ("day",): _("Date of birth must include a day"),
        ("month",): _("Date of birth must include a month"),
        ("year",): _("Date of birth must include a year"),
        ("day", "month"): _("Date of birth must include a day and month"),
        ("day", "year"): _("Date of birth must include a day and year"),
        ("month", "year"): _("Date of birth must include a month and year"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("For example, 27 3 2007"))
        fields = [forms.CharField(required=False) for _part in PARTS]
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return None
        values = dict(zip(PARTS, data_list))
        missing = tuple(part for part in PARTS if not (values[part] or "").strip())
        if missing:
            raise ValidationError(self.missing_messages[missing], code="incomplete")
        day, month, year = (_number(values[p]) for p in PARTS)
        if year is not None and len(values["year"].strip()) != 4:
            raise ValidationError(_("Year must include 4 numbers"), code="year")
        try:
            born = datetime.date(year, month, day)
        except (TypeError, ValueError):
            raise ValidationError(_("Date of birth must be a real date"), code="invalid") from None
        if born > timezone.localdate():
            raise ValidationError(_("Date of birth must be in the past"), code="future")
        if born < OLDEST_BIRTH:
            raise ValidationError(_("Date of birth must be after 1 January 1900"), code="too_old")
        return born
