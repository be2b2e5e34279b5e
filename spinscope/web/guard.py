"""uvicorn's HTTP/1.1 protocol with the limits a server open to many clients needs: a client must
finish its request headers within a deadline, and past a cap on open connections a new one gets
the documented JSON error, so idle, trickling or half-sent connections cannot lock others out."""

from __future__ import annotations

import json

HEADER_TIMEOUT = 10.0  # seconds from a connection's start (or its last response) to complete headers
MAX_CONNECTIONS = 1000  # open connections; each idle one costs a file descriptor and little else
DEFAULT_MAX_BODY = 2_000_000
DEFAULT_TIME_LIMIT = 25.0  # seconds an analysis may take, waiting for a worker included
BODY_TIMEOUT = 30.0  # seconds for a request body to arrive


def json_response(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 response with the JSON error body ``{"error": message}`` that closes the connection."""
    body = json.dumps({"error": message}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode() + body


def guarded_protocol(header_timeout: float = HEADER_TIMEOUT, max_connections: int = MAX_CONNECTIONS):
    """An ``H11Protocol`` subclass for ``uvicorn.Config(http=...)`` with these limits."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.write(json_response(503, "Service Unavailable",
                                              f"too many open connections (the limit is {max_connections}); "
                                              "try again shortly"))
                transport.close()
                return
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_late)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
                return  # a request is being answered: its own limits apply
            self.transport.write(json_response(408, "Request Timeout",
                                               f"the request headers did not arrive within {header_timeout:g} s"))
            self.transport.close()

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:  # a request's headers are complete
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the next request on this connection gets the same deadline

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedH11Protocol
