"""FHIR R4 at /fhir/: resources, search, PAS-shaped panel messages, the EMR handoff and its outbox.

The app shares its name with the `fhir` package of fhir.resources (site-packages/fhir/resources):
extending the package path lets `fhir.resources` resolve to the library while `fhir.views` and
the rest resolve here.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
