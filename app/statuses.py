"""HTTP status phrases, ours rather than the interpreter's.

``http.HTTPStatus`` follows whichever RFC the running Python was written
against: 3.13 renamed 413 and 422 after RFC 9110 ("Content Too Large",
"Unprocessable Content"), 3.11 and 3.12 still say "Request Entity Too Large"
and "Unprocessable Entity". Problem titles and the OpenAPI document's response
descriptions take their phrase from this table instead, so the API's bytes do
not change with the Python version.
"""

from __future__ import annotations

# RFC 9110 section 15 reason phrases, plus the RFC 6585 statuses (428, 429,
# 431). Only statuses a server sends; 1xx and the obsolete 305/306 are left out.
PHRASES: dict[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non-Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}


def phrase(status: int) -> str:
    """The RFC 9110 reason phrase for ``status``; a generic one for a status not in the table."""
    if status in PHRASES:
        return PHRASES[status]
    return "Client Error" if 400 <= status < 500 else "Server Error" if status >= 500 else "Response"
