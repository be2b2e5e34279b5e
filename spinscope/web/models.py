"""The body of ``POST /api/analyze`` as pydantic models: exactly one of ``text``, ``html`` or ``url``,
with the same options. The OpenAPI schema is built from these, so the schema and the server's
checks cannot drift apart; the server turns validation errors into one-line messages."""

from __future__ import annotations

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
)

from ..document import check_unicode

INPUT_FIELDS = ("text", "html", "url")
_EXPECTED = {"text": "a string", "html": "a string", "url": "a string", "title": "a string or null",
             "claims": "true or false", "entities": "true or false"}


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: StrictStr | None = Field(None, description="A title for the report (default: the page's own, if any).")
    claims: StrictBool = Field(True, description="Score check-worthy claims (cheap).")
    entities: StrictBool = Field(True, description="Find entities and the targets of spans (spaCy; about two "
                                                   "thirds of the time). false leaves 'entities' empty and 'target' null.")


class TextRequest(_Options):
    text: StrictStr = Field(..., min_length=1, description="The text to analyse; offsets refer to it "
                                                           "(blank text: an empty analysis).")


class HtmlRequest(_Options):
    html: StrictStr = Field(..., description="An HTML page: its article text is extracted first and analysed; "
                                             "offsets refer to the extracted text (returned as 'text').")


class UrlRequest(_Options):
    url: StrictStr = Field(..., description="An http(s) page to fetch and extract (only when the server "
                                            "runs with --allow-fetch).")


MODELS = {"text": TextRequest, "html": HtmlRequest, "url": UrlRequest}


def request_body_schema() -> dict:
    """The OpenAPI ``requestBody`` of ``POST /api/analyze``."""
    schemas = []
    for model in MODELS.values():
        schema = model.model_json_schema()
        schema.pop("title", None)
        schemas.append(schema)
    return {
        "required": True,
        "content": {"application/json": {
            "schema": {"oneOf": schemas, "description": "Exactly one of text, html or url."},
            "examples": {"text": {"value": {"text": "Critics called the mayor a clown and a liar.", "title": "Example"}}},
        }},
    }


def json_type(v) -> str:
    return {dict: "an object", list: "an array", bool: "a boolean", int: "a number", float: "a number",
            str: "a string", type(None): "null"}.get(type(v), type(v).__name__)


def parse_request(data) -> TextRequest | HtmlRequest | UrlRequest:
    """The request model for a decoded JSON body; ValueError with a one-line message if it is not one."""
    if not isinstance(data, dict):
        raise ValueError('the body must be a JSON object such as {"text": "..."}')
    given = [k for k in INPUT_FIELDS if k in data]
    if not given:
        raise ValueError('missing "text": send {"text": "..."} (or "html", or "url")')
    if len(given) > 1:
        raise ValueError(f"give only one of text, html and url (got {', '.join(given)})")
    for name in (given[0], "title"):
        if isinstance(data.get(name), str):
            check_unicode(data[name], f'"{name}"')  # a "\ud800" escape: not text to analyse or send back
    try:
        return MODELS[given[0]].model_validate(data)
    except ValidationError as e:
        raise ValueError(_message(e.errors()[0], data)) from None


def _message(error: dict, data: dict) -> str:
    name = str(error["loc"][0]) if error.get("loc") else ""
    if error["type"] == "extra_forbidden":
        return f'"{name}" is not a field of this request (give one of text, html or url, and title, claims, entities)'
    if name == "text" and error["type"] == "string_too_short":
        return '"text" is empty'
    if name in _EXPECTED:
        return f'"{name}" must be {_EXPECTED[name]}, not {json_type(data.get(name))}'
    return error.get("msg", "invalid request")  # pragma: no cover - every field is listed above
