"""The HTTP service of ``triage serve`` (issue 13): the /v1 API, FHIR R4 and CDS Hooks 2.0, on FastAPI.

``app.create_app(config)`` builds the application; ``fhir``, ``skiplogic`` and
``guidance`` are pure mappings to and from FHIR, usable without the web server. Importing
this package imports no web framework: the command line stays fast.
"""
