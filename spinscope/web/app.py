"""The spinscope web app and HTTP API (``spinscope serve``).

- ``GET /``: paste a text or upload a .txt, .html, .pdf, .docx or .md file (or give a URL, when
  fetching is allowed),
  press Analyze, see the report.
- ``POST /api/analyze``: JSON ``{"text": ..., "title": ...}`` (or ``{"html": ...}``, or
  ``{"url": ...}`` when fetching is allowed) gives ``Analysis.as_dict()``, the documented JSON.
- ``GET /api/techniques``, ``GET /healthz``, OpenAPI at ``/openapi.json`` and ``/docs`` (served
  from local files: no CDN).

Errors are JSON ``{"error": "..."}``. Inference runs in worker threads, so the server keeps
answering (``/healthz``) while long analyses run.
"""


import json
import os
import re
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

from .. import __version__
from ..document import Analysis, InputError, decode_bytes
from .guard import BODY_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIME_LIMIT

TEMPLATES = Path(__file__).parent / "templates"
INPUT_WORKERS = 8  # URL fetches and HTML extractions at once; more wait their turn

_ERROR = {"content": {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}}
_ANALYZE_RESPONSES = {
    200: {"description": "The analysis (schema: spinscope/analysis.schema.json)."},
    400: {"description": "The URL was refused or could not be fetched.", **_ERROR},
    403: {"description": "Fetching URLs is disabled on this server.", **_ERROR},
    413: {"description": "The body is larger than the server's limit.", **_ERROR},
    415: {"description": "The body is not JSON.", **_ERROR},
    408: {"description": "The request body did not arrive in time.", **_ERROR},
    422: {"description": "Invalid JSON, or a missing, empty or wrongly typed field.", **_ERROR},
    503: {"description": "The model could not be loaded, or the server is too busy to start the analysis in time.", **_ERROR},
    504: {"description": "The analysis ran past the server's time limit (serve --time-limit).", **_ERROR},
}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- body size limit (pure ASGI, before anything reads the body) -----------------------------


class BodyLimit:
    """413 for a declared Content-Length over the limit, and for a streamed body that exceeds it;
    408 for a body that takes longer than ``body_timeout`` seconds to arrive."""

    def __init__(self, app, max_body: int, body_timeout: float = BODY_TIMEOUT):
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        import anyio

        length = None
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                length = v
        if length is not None:
            if not length.strip().isdigit():
                return await _send_json(send, 400, {"error": "invalid Content-Length header"})
            if int(length) > self.max_body:
                return await _send_json(send, 413, _too_large(self.max_body))
        total = 0
        max_body = self.max_body
        deadline = anyio.current_time() + self.body_timeout

        complete = False

        async def limited():
            nonlocal total, complete
            if complete:  # after the body, receive() only waits for the client to leave
                return await receive()
            try:
                with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
                    msg = await receive()
            except TimeoutError:
                raise ApiError(408, f"the request body did not arrive within {self.body_timeout:g} s") from None
            if msg["type"] == "http.request":
                complete = not msg.get("more_body", False)
                total += len(msg.get("body", b""))
                if total > max_body:
                    raise ApiError(413, _too_large(max_body)["error"])
            return msg

        await self.app(scope, limited, send)


def _too_large(max_body: int) -> dict:
    return {"error": f"request body too large (the limit is {max_body} bytes)"}


async def _send_json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# --- rendering --------------------------------------------------------------------------------


def _jinja():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


_META_CSP = re.compile(r"""<meta\s+http-equiv=["']?Content-Security-Policy["']?\s+content=("[^"]*"|'[^']*')""", re.I)
_HASH_SOURCE = re.compile(r"'sha(?:256|384|512)-[A-Za-z0-9+/=]+'")


def report_script_sources(report_html: str) -> str:
    """CSP script sources for the page that embeds the report in a srcdoc iframe.

    A srcdoc iframe inherits the embedding page's policy, so the page must allow the report's
    scripts: exactly the hashes the report's own policy lists, else (no such policy) inline scripts.
    """
    import html as htmllib

    m = _META_CSP.search(report_html[:20_000])
    if m:
        policy = htmllib.unescape(m.group(1)[1:-1])
        for directive in policy.split(";"):
            parts = directive.split()
            if parts and parts[0].lower() == "script-src":
                hashes = _HASH_SOURCE.findall(directive)
                if hashes:
                    return " ".join(hashes)
    return "'unsafe-inline'"


# --- the app ----------------------------------------------------------------------------------


def create_app(*, detector=None, max_body: int = DEFAULT_MAX_BODY, allow_fetch: bool = False,
               allow_private: bool = False, workers: int | None = None, db=None,
               time_limit: float | None = DEFAULT_TIME_LIMIT, body_timeout: float = BODY_TIMEOUT):
    """The FastAPI app. ``detector`` defaults to the shipped model (loaded at start-up).

    ``allow_fetch`` enables URL inputs; ``allow_private`` lets them reach private, loopback and
    link-local addresses (off: only public addresses). ``workers`` bounds concurrent analyses
    (default: the number of CPUs); more requests wait their turn. ``time_limit`` bounds the
    seconds from a request's arrival to the end of its analysis (503 if no worker was free in time,
    504 if the analysis ran past it); None: no limit.
    """
    import anyio
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from fastapi_offline import FastAPIOffline
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import ClientDisconnect

    from .. import analyze
    from .. import techniques as T
    from ..budget import AnalysisTimeout
    from ..budget import time_limit as limited_time
    from ..detect import ModelError
    from ..detect.detector import default_detector
    from ..inputs.documents import document_page
    from ..inputs.fetch import load_page
    from ..inputs.html import decode_html_bytes, extract_page
    from .models import parse_request, request_body_schema

    state = {"detector": detector, "error": None, "limiter": None, "input_limiter": None}
    load_lock = threading.Lock()
    n_workers = max(1, workers or os.cpu_count() or 1)

    def load_detector():
        with load_lock:
            if state["detector"] is None:
                try:
                    state["detector"] = default_detector()
                    state["error"] = None
                except ModelError as e:
                    state["error"] = str(e)
                    raise ApiError(503, f"model not available: {e}") from None
            return state["detector"]

    async def get_detector():
        if state["detector"] is not None:
            return state["detector"]
        return await anyio.to_thread.run_sync(load_detector)

    async def run_analysis(text: str, title: str | None, *, claims: bool = True, entities: bool = True,
                           note: str | None = None, started: float | None = None) -> Analysis:
        """The analysis of ``text``; ``note`` (from reading the input, e.g. an HTML page) comes first
        in its notes. ``started`` (``time.monotonic()`` at the request's arrival) starts the time limit."""
        det = await get_detector()
        if state["limiter"] is None:
            state["limiter"] = anyio.CapacityLimiter(n_workers)
        started = time.monotonic() if started is None else started

        def work():
            if time_limit is not None and time.monotonic() - started > time_limit:
                raise ApiError(503, f"the server is busy: no worker was free within {time_limit:g} s; try again later")
            # onnxruntime's InferenceSession.run is thread-safe and Detector.detect keeps no state
            with limited_time(time_limit, started=started):
                return analyze(text, title=title, note=note, detector=det, claims=claims, entities=entities)

        try:
            analysis = await anyio.to_thread.run_sync(work, limiter=state["limiter"])
        except AnalysisTimeout:
            raise ApiError(504, f"the analysis took longer than this server's limit of {time_limit:g} s; "
                                "send a shorter text, or run spinscope analyze on your own machine") from None
        return analysis

    async def run_blocking(fn, *args):
        return await anyio.to_thread.run_sync(lambda: fn(*args))

    async def run_input(fn):
        """Fetching a URL or extracting a page: at most INPUT_WORKERS at once, so that slow servers
        (each fetch may take up to its deadline) cannot fill the thread pool that the rest uses."""
        if state["input_limiter"] is None:
            state["input_limiter"] = anyio.CapacityLimiter(INPUT_WORKERS)
        return await anyio.to_thread.run_sync(fn, limiter=state["input_limiter"])

    @asynccontextmanager
    async def lifespan(app):
        try:
            await get_detector()
        except ApiError:
            pass  # reported by /healthz and each request
        yield

    app = FastAPIOffline(
        title="spinscope",
        version=__version__,
        description="Find propaganda-technique spans in news articles. All errors are JSON `{\"error\": \"...\"}`.",
        lifespan=lifespan,
    )
    app.state.allow_fetch = allow_fetch
    app.state.allow_private = allow_private
    app.state.max_body = max_body
    app.add_middleware(BodyLimit, max_body=max_body, body_timeout=body_timeout)

    # -- errors --

    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request, exc):  # the client left before its body arrived: nobody to answer
        return Response(status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc):
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc):
        msgs = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
        path = request.url.path
        if path.startswith("/corpus/") and not path.startswith("/corpus/api/"):  # a page: say it on a page
            return html_page(422, error=f"Invalid address: {msgs or 'invalid request'}")
        return JSONResponse({"error": msgs or "invalid request"}, status_code=422)

    @app.exception_handler(Exception)
    async def _internal_error(request, exc):  # pragma: no cover - a bug
        return JSONResponse({"error": "internal server error"}, status_code=500)

    # -- pages --

    env = _jinja()
    page = env.get_template("index.html")

    bar = env.get_template("result_bar.html")

    def secure(body: str, status: int, scripts: str) -> HTMLResponse:
        # Article text is escaped (Jinja2, the report's esc); scripts run only by hash; nothing may
        # load from or talk to the network.
        csp = (f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data:; "
               "font-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
        return HTMLResponse(body, status_code=status, headers={
            "Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"})

    def html_page(status: int = 200, **ctx) -> HTMLResponse:
        ctx.setdefault("form", {"text": "", "title": "", "url": ""})
        ctx.setdefault("error", None)
        body = page.render(allow_fetch=allow_fetch, max_body=max_body, version=__version__, corpus=db is not None, **ctx)
        return secure(body, status, "'none'")

    def result_page(analysis: Analysis, source: str, shown: dict) -> HTMLResponse:
        """The report as the whole page, with downloads of itself and of the JSON, and the form."""
        import base64

        from ..render.html import render_html

        report_html = render_html(analysis, source=source)
        doc = json.dumps(analysis.as_dict(), ensure_ascii=False, indent=2)
        stem = re.sub(r"[^\w.-]+", "-", Path(source).stem if source != "pasted text" else "article").strip("-.")
        toolbar = bar.render(report_b64=base64.b64encode(report_html.encode()).decode(),
                             json_b64=base64.b64encode(doc.encode()).decode(), stem=stem[:60] or "article",
                             corpus=db is not None, form=shown, allow_fetch=allow_fetch, max_body=max_body)
        full = render_html(analysis, source=source, toolbar=toolbar)
        return secure(full, 200, report_script_sources(full))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index():
        return html_page()

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    async def index_post(request: Request):
        started = time.monotonic()
        mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if mime not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise ApiError(415, "send the form as multipart/form-data or application/x-www-form-urlencoded")
        try:
            form = await request.form(max_files=1, max_fields=10, max_part_size=max_body)
        except ApiError:
            raise
        except StarletteHTTPException as e:
            raise ApiError(e.status_code if e.status_code != 400 else 422, f"invalid form: {e.detail}") from None
        text = form.get("text") or ""
        title = (form.get("title") or "").strip() or None
        url = (form.get("url") or "").strip() if allow_fetch else ""
        upload = form.get("file")
        shown = {"text": text if isinstance(text, str) else "", "title": title or "", "url": url}
        source = "pasted text"
        note = None
        try:
            if upload is not None and not isinstance(upload, str) and upload.filename:
                data = await upload.read()
                name = Path(upload.filename).name
                source = name
                # a PDF, Word or Markdown file is read as such, by its content or its name
                got = await run_input(lambda: document_page(data, name))
                if got is not None:
                    text, title, note = got.text, title or got.title, got.note
                elif name.lower().endswith((".html", ".htm", ".xhtml")) or (upload.content_type or "").startswith("text/html"):
                    got = await run_input(lambda: extract_page(decode_html_bytes(data, name)))
                    text, title, note = got.text, title or got.title, got.note
                else:
                    text = decode_bytes(data, name)
                shown["text"] = text
            elif url:
                got, source = await run_input(lambda: load_page(url, allow_private=allow_private))
                text, title, note = got.text, title or got.title, got.note
                shown["text"] = text
            elif not isinstance(text, str):
                raise InputError("the text field must be text, not a file")
        except InputError as e:
            return html_page(422 if not url else 400, form=shown, error=str(e))
        if not text.strip():
            return html_page(422, form=shown, error="Nothing to analyse: paste a text, or choose a .txt, .html, .pdf, .docx or .md file.")
        try:
            analysis = await run_analysis(text, title, note=note, started=started)
        except ApiError as e:  # busy, too slow, or no model: the form says so
            return html_page(e.status, form=shown, error=e.message)
        return await run_blocking(result_page, analysis, source, shown)

    # -- API --

    @app.post("/api/analyze", openapi_extra={"requestBody": request_body_schema()}, responses=_ANALYZE_RESPONSES,
              summary="Analyse a text, an HTML page or (if allowed) a URL")
    async def api_analyze(request: Request):
        """Returns the analysis as in `spinscope analyze --format json` (schema `spinscope/analysis.schema.json`).

        With `html` or `url`, the article text is extracted first; `text` in the answer is that
        extracted text, and every offset refers to it. With `url`, `source` is the final address.
        A page with no text gives an empty analysis with a note.
        """
        started = time.monotonic()
        mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if mime != "application/json" and not (mime.startswith("application/") and mime.endswith("+json")):
            raise ApiError(415, "Content-Type must be application/json")
        raw = await request.body()
        try:
            data = json.loads(raw)
        except UnicodeDecodeError:
            raise ApiError(422, "invalid JSON: the body is not UTF-8") from None
        except json.JSONDecodeError as e:
            raise ApiError(422, f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
        except (ValueError, RecursionError) as e:  # e.g. a 5,000-digit number, or nesting too deep
            raise ApiError(422, f"invalid JSON: {str(e) or type(e).__name__}") from None
        try:
            body = parse_request(data)
        except ValueError as e:
            raise ApiError(422, str(e)) from None
        key = next(k for k in ("text", "html", "url") if k in body.model_fields_set)
        value, title = getattr(body, key), body.title
        source = note = None
        if key == "url":
            if not allow_fetch:
                raise ApiError(403, "fetching URLs is disabled on this server (start it with --allow-fetch)")
            try:
                got, source = await run_input(lambda: load_page(value, allow_private=allow_private))
            except InputError as e:
                raise ApiError(400, str(e)) from None
            text, title, note = got.text, title or got.title, got.note
        elif key == "html":
            got = await run_input(lambda: extract_page(value))
            text, title, note = got.text, title or got.title, got.note
        else:
            text = value
        if key != "text" and not text.strip():
            text, note = "", "the page has no text to analyse"
        analysis = await run_analysis(text, title, note=note, claims=body.claims, entities=body.entities,
                                      started=started)

        def encode() -> bytes:  # a long analysis takes a while to encode: not on the event loop
            doc = analysis.as_dict()
            if source:
                doc["source"] = source
            return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()

        return Response(await run_blocking(encode), media_type="application/json")

    @app.get("/api/techniques", summary="The 14 techniques: label, name, definition, example, colour")
    async def api_techniques():
        return [t.as_dict() for t in T.TECHNIQUES]

    @app.get("/healthz", summary="Liveness and the model in use")
    async def healthz():
        det = state["detector"]
        if det is None:
            try:
                det = await get_detector()
            except ApiError as e:
                return JSONResponse({"status": "error", "error": e.message}, status_code=503)
        return {"status": "ok", "model": det.info}

    if db is not None:  # the corpus dashboard (spinscope serve --db DB)
        import sqlite3

        from ..errors import CorpusError
        from .dashboard import corpus_router

        app.include_router(corpus_router(db), prefix="/corpus")

        @app.exception_handler(sqlite3.DatabaseError)
        @app.exception_handler(CorpusError)
        async def _store_error(request, exc):  # a store damaged (or replaced) while the server runs
            msg = (f"the corpus store cannot be read ({exc}); check it with "
                   f"'spinscope corpus info --check {Path(db).name}'")
            if request.url.path.startswith("/corpus/api"):
                return JSONResponse({"error": msg}, status_code=500)
            return html_page(500, error=msg)
    return app
