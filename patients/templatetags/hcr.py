from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from registries.vocab import NEED_NAMES

register = template.Library()


@register.filter
def need_label(code):
    return NEED_NAMES.get(code, code)


@register.simple_tag
def filter_field(bound_field):
    """A filter of the waitlist: label and control, written out in Python.

    Django renders each <option> through a template; the waitlist has about sixty of
    them on every page view, which costs more than the page's query.
    """
    field = bound_field.field
    widget_id = bound_field.auto_id
    errors = format_html_join("", "<li>{}</li>", ((e,) for e in bound_field.errors)) if bound_field.errors else ""
    error_html = format_html('<ul class="errorlist">{}</ul>', errors) if errors else ""
    if hasattr(field, "choices"):
        value = bound_field.value()
        selected = "" if value is None else str(getattr(value, "pk", value))
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((str(getattr(v, "value", v)), mark_safe(" selected") if str(getattr(v, "value", v)) == selected else "", label)
             for v, label in field.choices),
        )
        control = format_html('<select name="{}" id="{}">{}</select>', bound_field.html_name, widget_id, options)
    else:
        control = str(bound_field)
    help_html = format_html('<p class="help" id="{}_helptext">{}</p>', widget_id, field.help_text) if field.help_text else ""
    return format_html(
        '<div class="field{}"><label for="{}">{}</label>{}{}{}</div>',
        " has-error" if errors else "", widget_id, bound_field.label, help_html, error_html, control,
    )


@register.filter
def staff_name(user, nobody="—"):
    """Who did something: full name, else username; `nobody` when no user (the public, the system)."""
    if user is None:
        return nobody
    return user.get_full_name() or user.username
