"""Which language a page speaks, and in which language the public is written to.

The public's pages (settings.ATTACH_PUBLIC_PATHS and the home page) speak the visitor's
language: the one they chose with the language switch (Django's set_language, kept in a
cookie), else their browser's Accept-Language, else English. Staff pages stay English
whatever the browser asks, so a coordinator's screen matches the training material and
what colleagues see; their strings are marked for translation where cheap, ready for
the day they are translated.

Emails to a household are written in the language stored on its registration
(`Registration.language`, set from the page it registered on): `for_registration`.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def is_public_path(path: str) -> bool:
    return path == "/" or any(path.startswith(prefix) for prefix in settings.ATTACH_PUBLIC_PATHS)


def supported(code: str | None) -> str:
    """`code` as one of settings.LANGUAGES (zh-tw → zh-hant, fr-ca → fr), else the default."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


class PublicLocaleMiddleware(LocaleMiddleware):
    """LocaleMiddleware for the public's pages; English for everything else."""

    def process_request(self, request):
        if is_public_path(request.path_info):
            return super().process_request(request)
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if is_public_path(request.path_info):
            return super().process_response(request, response)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def for_registration(registration) -> contextlib.AbstractContextManager:
    """`with for_registration(r):` renders an email in the household's language."""
    return translation.override(supported(getattr(registration, "language", "") or settings.LANGUAGE_CODE))


def public_page(request) -> dict:
    """Context processor: whether the page is the public's (it then shows the language switch)."""
    return {"public_page": is_public_path(getattr(request, "path_info", "") or "")}
