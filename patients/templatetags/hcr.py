from django import template

from patients.priority import FACTOR_LABELS
from registries.vocab import LANGUAGE_NAMES, NEED_NAMES

register = template.Library()


@register.filter
def factor_label(code):
    return FACTOR_LABELS.get(code, code)


@register.filter
def language_label(code):
    return LANGUAGE_NAMES.get(code, code)


@register.filter
def need_label(code):
    return NEED_NAMES.get(code, code)
