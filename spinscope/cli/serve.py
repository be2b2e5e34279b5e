"""``spinscope serve``: the web app and HTTP API on a socket, with uvicorn."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from .. import __version__
from ..web.guard import (
    BODY_TIMEOUT,
    DEFAULT_MAX_BODY,
    DEFAULT_TIME_LIMIT,
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
)


def add_parser(subparsers) -> None:
    """Add ``spinscope serve`` to the CLI's subparsers."""
    p = subparsers.add_parser("serve", help="run the web app and HTTP API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--allow-fetch", action="store_true", help="let users give a URL to fetch")
    p.add_argument("--allow-private", action="store_true",
                   help="let fetched URLs reach private, loopback and link-local addresses")
    p.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                   help=f"largest request body (default {DEFAULT_MAX_BODY})")
    p.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    p.add_argument("--db", type=Path, help="a corpus store (spinscope corpus add): adds the dashboard at /corpus/")
    p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="SECONDS",
                   help=f"longest time for one analysis, waiting included (default {DEFAULT_TIME_LIMIT:g}; 0: no limit)")
    p.add_argument("--header-timeout", type=float, default=HEADER_TIMEOUT, metavar="SECONDS",
                   help=f"time a client has to send its request headers (default {HEADER_TIMEOUT:g})")
    p.add_argument("--body-timeout", type=float, default=BODY_TIMEOUT, metavar="SECONDS",
                   help=f"time a client has to send its request body (default {BODY_TIMEOUT:g})")
    p.add_argument("--max-connections", type=int, default=MAX_CONNECTIONS, metavar="N",
                   help=f"open connections at most; more get a JSON 503 (default {MAX_CONNECTIONS})")
    p.set_defaults(func=run)


def _bind(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, socktype, proto, _, addr = infos[0]
    sock = socket.socket(family, socktype, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(addr)
        sock.listen(1024)  # a burst of connections waits in the kernel, not in SYN retries
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _connection_cap(wanted: int) -> int:
    """Open connections to accept: ``wanted``, within the process's file descriptors (raised
    towards the hard limit where the soft one is lower)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = wanted + 200
        if soft == resource.RLIM_INFINITY:
            return wanted
        if soft < want:
            soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        return max(1, min(wanted, soft - 200))
    except (ImportError, ValueError, OSError):  # no rlimits here (Windows), or not allowed
        return wanted


def run(args) -> int:
    """Run the server until interrupted. Exit 2 with one line on stderr if it cannot start."""
    def err(msg: str) -> int:
        print(f"spinscope serve: {msg}", file=sys.stderr)
        return 2

    if args.max_body < 1:
        return err("--max-body must be a positive number of bytes")
    if not args.time_limit >= 0:
        return err("--time-limit must be a number of seconds (0: no limit)")
    if not (args.header_timeout > 0 and args.body_timeout > 0):
        return err("--header-timeout and --body-timeout must be positive numbers of seconds")
    if args.max_connections < 1:
        return err("--max-connections must be at least 1")
    if not 0 <= args.port <= 65535:
        return err(f"--port {args.port} is not a port number (0-65535)")
    try:
        import uvicorn
    except ImportError as e:  # pragma: no cover - a core dependency
        return err(f"missing dependency ({e.name}); reinstall spinscope")
    from ..detect import ModelError
    from ..detect.detector import load_detector

    try:
        sock = _bind(args.host, args.port)  # first, so that a taken port is reported at once
    except socket.gaierror as e:
        return err(f"cannot listen on {args.host}: {e.strerror or e}")
    except OSError as e:
        import errno

        if e.errno == errno.EADDRINUSE:
            return err(f"port {args.port} on {args.host} is already in use; choose another with --port")
        if e.errno == errno.EACCES:
            return err(f"not allowed to listen on port {args.port} on {args.host}; choose a port above 1023")
        return err(f"cannot listen on {args.host}:{args.port} ({e.strerror or e})")
    try:
        detector = load_detector(getattr(args, "model", None))
    except ModelError as e:
        sock.close()
        return err(str(e))
    if getattr(args, "db", None) is not None and not Path(args.db).is_file():
        sock.close()
        return err(f"{args.db}: no such corpus store (create one with 'spinscope corpus add')")
    from ..errors import CorpusError
    from ..web.app import create_app

    try:
        app = create_app(detector=detector, max_body=args.max_body, allow_fetch=args.allow_fetch,
                         allow_private=args.allow_private, db=getattr(args, "db", None),
                         time_limit=args.time_limit or None, body_timeout=args.body_timeout)
    except CorpusError as e:  # a --db that is no usable store: garbage, another program's, newer, damaged
        sock.close()
        return err(str(e))
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    extra = "; corpus dashboard: /corpus/" if getattr(args, "db", None) is not None else ""
    print(f"spinscope {__version__}: serving on http://{shown}:{port}/ (API docs: /docs{extra}; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    if args.allow_fetch and args.allow_private:
        print("spinscope serve: warning: --allow-private lets users make this server fetch internal addresses",
              file=sys.stderr)
    from ..web.guard import guarded_protocol

    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=5,
                            http=guarded_protocol(args.header_timeout, _connection_cap(args.max_connections)),
                            server_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
