"""The OpenAPI description of the site's JSON API (``GET /api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from govstats import __version__

__all__ = ["openapi"]

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_REFUSAL = {
    "description": "Refused, with a catalogued problem (docs/errors.md).",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"problem": _PROBLEM},
                "required": ["problem"],
            }
        }
    },
}
_LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["zh", "en"], "default": "zh"},
    "description": "Language of messages.",
}
_YEAR = {
    "name": "year",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
_UPLOAD = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "year": {"type": "integer"},
    },
    "required": ["file", "year"],
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API."""
    report = {"$ref": "#/components/schemas/Report"}
    job = {"$ref": "#/components/schemas/CompileJob"}
    office: list[dict[str, list[str]]] = [{"officeSession": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "govstats serve",
            "version": __version__,
            "description": "The intake site of a compiling office: check and submit "
            "yearly statistics workbooks, and compile the year. The pages of the "
            "site use this API.",
        },
        "paths": {
            "/api/validate": {
                "post": {
                    "summary": "Check a workbook; nothing is stored.",
                    "description": "The body answered is exactly what `govstats "
                    "validate FILE --year YEAR --format json` prints for a file "
                    "of the uploaded name.",
                    "parameters": [_LANG],
                    "requestBody": {
                        "required": True,
                        "content": {"multipart/form-data": {"schema": _UPLOAD}},
                    },
                    "responses": {
                        "200": _json(report, "The workbook has no error."),
                        "422": _json(report, "The workbook has errors."),
                        "400": _REFUSAL,
                        "413": _REFUSAL,
                    },
                }
            },
            "/api/submit": {
                "post": {
                    "summary": "File a workbook as the submission of the code's unit.",
                    "parameters": [_LANG],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    **_UPLOAD,
                                    "properties": {
                                        **_UPLOAD["properties"],  # type: ignore[dict-item]
                                        "code": {"type": "string"},
                                    },
                                    "required": ["file", "year", "code"],
                                }
                            }
                        },
                    },
                    "responses": {
                        status: _json(
                            {"$ref": "#/components/schemas/SubmitResult"}, text
                        )
                        for status, text in (
                            ("200", "Filed."),
                            ("400", "Not a form with a workbook."),
                            ("403", "Wrong access code, or another unit's workbook."),
                            ("404", "A year the site does not serve."),
                            ("413", "Larger than a workbook may be."),
                            ("422", "The workbook has errors; not filed."),
                            ("429", "Too many wrong codes from this address."),
                        )
                    },
                }
            },
            "/api/status/{year}": {
                "get": {
                    "summary": "Every unit of the roster and its state (office).",
                    "security": office,
                    "parameters": [_YEAR],
                    "responses": {
                        "200": _json({"type": "object"}, "The units' states."),
                        "401": _REFUSAL,
                        "404": _REFUSAL,
                    },
                }
            },
            "/api/compile/{year}": {
                "post": {
                    "summary": "Start the compile of the year (office).",
                    "description": "The same compile as `govstats compile YEAR`, "
                    "with its lock. Needs the page's CSRF token in `X-CSRF-Token`.",
                    "security": office,
                    "parameters": [_YEAR, _LANG],
                    "responses": {
                        "202": _json(job, "Started."),
                        "409": _json(job, "A compile of the year is running."),
                        "401": _REFUSAL,
                        "403": _REFUSAL,
                    },
                },
                "get": {
                    "summary": "How far the year's compile got (office).",
                    "security": office,
                    "parameters": [_YEAR, _LANG],
                    "responses": {"200": _json(job, "The compile."), "401": _REFUSAL},
                },
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "officeSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "govstats_office",
                }
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "description": "A problem of the catalogue (docs/errors.md).",
                    "properties": {
                        k: {"type": "string"}
                        for k in (
                            "severity",
                            "code",
                            "rule",
                            "category",
                            "file",
                            "sheet",
                            "cell",
                            "column",
                            "indicator",
                            "expected",
                            "found",
                            "message",
                        )
                    }
                    | {"row": {"type": ["integer", "null"]}},
                },
                "Report": {
                    "type": "object",
                    "description": "What `govstats validate --format json` prints.",
                    "properties": {
                        "valid": {"type": "boolean"},
                        "stats": {"type": "object"},
                        "files": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "path": {"type": "string"},
                                    "unit_code": {"type": "string"},
                                    "unit_name": {"type": "string"},
                                    "valid": {"type": "boolean"},
                                    "errors": {"type": "integer"},
                                    "warnings": {"type": "integer"},
                                    "problems": {"type": "array", "items": _PROBLEM},
                                },
                            },
                        },
                    },
                },
                "SubmitResult": {
                    "type": "object",
                    "properties": {
                        "filed": {"type": "boolean"},
                        "problem": {"oneOf": [_PROBLEM, {"type": "null"}]},
                        "submission": {"type": ["object", "null"]},
                        "validation": {"oneOf": [report, {"type": "null"}]},
                    },
                },
                "CompileJob": {
                    "type": "object",
                    "properties": {
                        "year": {"type": "integer"},
                        "state": {"enum": ["none", "running", "done", "failed"]},
                        "done": {"type": "integer"},
                        "total": {"type": "integer"},
                        "outputs": {"type": "array", "items": {"type": "string"}},
                        "problem": {"oneOf": [_PROBLEM, {"type": "null"}]},
                        "compile": {"type": ["object", "null"]},
                    },
                },
            },
        },
    }
