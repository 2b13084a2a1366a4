"""Minimal JSON-RPC client used by the hashvive functional tests.

``AuthServiceProxy`` talks JSON-RPC 2.0 over a persistent ``http.client``
connection, authenticating with HTTP Basic auth taken from the URL's
``user:password`` part.  RPC methods are called as attributes::

    proxy = AuthServiceProxy("http://user:pass@127.0.0.1:18443")
    proxy.getblockcount()                    # positional params: []
    proxy.getblock(blockhash, 2)             # positional params
    proxy.getblock(blockhash=h, verbosity=2) # named params (JSON object)
    proxy.foo(1, 2, bar=3)                   # {"args": [1, 2], "bar": 3}

JSON numbers with a fraction are decoded as ``decimal.Decimal`` and
``Decimal`` values are encoded as exact JSON numbers, so amounts never go
through binary floating point.

Helpers whose names start with an underscore (``_call``, ``_request``,
``_batch``, ``_for_path``) are part of the public API; the underscore only
keeps them from clashing with RPC method names.
"""

import base64
import decimal
import http.client
import itertools
import json
import logging
import os
import time
import urllib.parse

log = logging.getLogger("TestFramework.rpc")

# Code used when the server answered with something that is not JSON.
NON_JSON_RESPONSE = -342
# Code used when a JSON reply had neither "result" nor "error".
MISSING_RESULT = -343

_ids = itertools.count(1)


class JSONRPCException(Exception):
    """An RPC error. ``error`` is the JSON-RPC error object (a dict with at
    least "code" and "message"); ``http_status`` is the HTTP status of the
    reply, or None when unknown (e.g. errors reported by the CLI)."""

    def __init__(self, rpc_error, http_status=None):
        try:
            msg = "%s (%s)" % (rpc_error["message"], rpc_error["code"])
        except (KeyError, TypeError):
            msg = repr(rpc_error)
        super().__init__(msg)
        self.error = rpc_error
        self.http_status = http_status


def dumps(obj):
    """Serialize ``obj`` to compact JSON, writing Decimals as exact numbers."""
    parts = []
    _encode(obj, parts)
    return "".join(parts)


def _encode(obj, out):
    if isinstance(obj, decimal.Decimal):
        if not obj.is_finite():
            raise ValueError("cannot encode non-finite Decimal %r as JSON" % obj)
        out.append(format(obj, "f"))
    elif obj is None or isinstance(obj, (bool, int, float, str)):
        out.append(json.dumps(obj))
    elif isinstance(obj, dict):
        out.append("{")
        for i, (key, value) in enumerate(obj.items()):
            if i:
                out.append(",")
            if not isinstance(key, str):
                raise TypeError("JSON object keys must be strings, got %r" % (key,))
            out.append(json.dumps(key))
            out.append(":")
            _encode(value, out)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _encode(value, out)
        out.append("]")
    elif isinstance(obj, os.PathLike):
        out.append(json.dumps(os.fspath(obj)))
    else:
        raise TypeError("object of type %s is not JSON serializable" % type(obj).__name__)


def loads(data):
    """Parse JSON text or bytes, decoding non-integral numbers as Decimal."""
    if isinstance(data, (bytes, bytearray)):
        data = data.decode("utf-8")
    return json.loads(data, parse_float=decimal.Decimal)


class _RPCMethod:
    """A bound RPC method: calling it performs the request."""

    __slots__ = ("_proxy", "_name")

    def __init__(self, proxy, name):
        self._proxy = proxy
        self._name = name

    def __call__(self, *args, **kwargs):
        return self._proxy._call(self._name, *args, **kwargs)

    def __repr__(self):
        return "<RPC method %s of %r>" % (self._name, self._proxy)


class AuthServiceProxy:
    """JSON-RPC 2.0 client over one keep-alive HTTP connection."""

    def __init__(self, url, timeout=30, *, path=None):
        self.__url__ = url
        self.timeout = timeout
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http":
            raise ValueError("unsupported URL scheme %r in %s" % (parsed.scheme, url))
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.user = urllib.parse.unquote(parsed.username or "")
        self.password = urllib.parse.unquote(parsed.password or "")
        self.path = path if path is not None else (parsed.path or "/")
        token = base64.b64encode(("%s:%s" % (self.user, self.password)).encode("utf-8"))
        self.auth_header = "Basic " + token.decode("ascii")
        self._conn = None

    def __repr__(self):
        return "AuthServiceProxy(%s:%d%s)" % (self.host, self.port, self.path)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            # Keep copy/pickle/etc. protocols from turning into RPC calls.
            raise AttributeError(name)
        return _RPCMethod(self, name)

    # ------------------------------------------------------------------
    # Connection handling
    # ------------------------------------------------------------------
    def _close(self):
        """Close the HTTP connection (it is reopened on the next request)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _for_path(self, path, timeout=None):
        """A new proxy with the same server and credentials but another
        request path, e.g. ``proxy._for_path("/wallet/w1")``."""
        return AuthServiceProxy(self.__url__,
                                timeout=self.timeout if timeout is None else timeout,
                                path=path)

    def _exchange(self, method, path, body, headers):
        """Send one HTTP request and return the fully read response.

        When a reused keep-alive connection turns out to have been closed by
        the server, reconnect once and resend.  Errors on a fresh connection
        (e.g. connection refused) are raised to the caller."""
        for attempt in (0, 1):
            fresh = self._conn is None
            if fresh:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self._close()
                if fresh or attempt:
                    raise
                continue
            except BaseException:
                self._close()
                raise
            if response.will_close:
                self._close()
            return response, data
        raise AssertionError("unreachable")

    def _default_headers(self):
        return {
            "Host": "%s:%d" % (self.host, self.port),
            "User-Agent": "hashvive-functional-test",
            "Authorization": self.auth_header,
            "Content-Type": "application/json",
        }

    # ------------------------------------------------------------------
    # Public helpers
    # ------------------------------------------------------------------
    def _request(self, method, path, body=b"", headers=None):
        """Send a raw HTTP request and return ``(status, headers, body_bytes)``.

        ``headers`` is merged over the defaults (Host, User-Agent,
        Authorization, Content-Type); give a header the value None to leave
        it out entirely.  The returned headers are an ``http.client.HTTPMessage``
        (case-insensitive ``.get()``)."""
        merged = self._default_headers()
        for key, value in (headers or {}).items():
            for existing in [k for k in merged if k.lower() == key.lower()]:
                del merged[existing]
            if value is not None:
                merged[key] = value
        if isinstance(body, str):
            body = body.encode("utf-8")
        response, data = self._exchange(method, path, body, merged)
        return response.status, response.msg, data

    def _post_json(self, payload):
        body = dumps(payload).encode("utf-8")
        response, data = self._exchange("POST", self.path, body, self._default_headers())
        content_type = response.getheader("Content-Type", "")
        parsed = None
        if content_type.split(";")[0].strip().lower() == "application/json" and data:
            try:
                parsed = loads(data)
            except (ValueError, decimal.InvalidOperation):
                parsed = None
        if parsed is None:
            raise JSONRPCException({
                "code": NON_JSON_RESPONSE,
                "message": "non-JSON HTTP response with '%d %s' from server" % (response.status, response.reason),
            }, response.status)
        return parsed, response.status

    def _call(self, method, *args, **kwargs):
        """Call RPC ``method`` (see the module docstring for how arguments
        become params) and return its result, or raise JSONRPCException."""
        if kwargs and args:
            params = dict(kwargs)
            params["args"] = list(args)
        elif kwargs:
            params = dict(kwargs)
        else:
            params = list(args)
        request_id = next(_ids)
        payload = {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}
        tracing = log.isEnabledFor(logging.DEBUG)
        if tracing:
            log.debug("-%d-> %s %s", request_id, method, dumps(params))
            start = time.monotonic()
        reply, status = self._post_json(payload)
        if not isinstance(reply, dict):
            raise JSONRPCException({"code": NON_JSON_RESPONSE,
                                    "message": "unexpected JSON-RPC reply: %r" % (reply,)}, status)
        if reply.get("error") is not None:
            if tracing:
                log.debug("<-%d- [%.6f] error %s", request_id, time.monotonic() - start, dumps(reply["error"]))
            raise JSONRPCException(reply["error"], status)
        if "result" not in reply:
            raise JSONRPCException({"code": MISSING_RESULT, "message": "missing JSON-RPC result"}, status)
        if tracing:
            log.debug("<-%d- [%.6f] %s", request_id, time.monotonic() - start, dumps(reply["result"]))
        return reply["result"]

    def _batch(self, requests):
        """POST a JSON-RPC batch (a list of request dicts) and return the
        parsed reply (normally a list of response dicts, unprocessed)."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("-batch-> %s", dumps(requests))
        reply, _status = self._post_json(list(requests))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("<-batch- %s", dumps(reply))
        return reply
