"""FHIR's JSON media type for DRF: `application/fhir+json` in and out (plain JSON accepted too)."""

from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

FHIR_JSON = "application/fhir+json"


class FHIRJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"
    charset = "utf-8"


class FHIRJSONParser(JSONParser):
    media_type = FHIR_JSON
