"""uvicorn's httptools protocol with the limits a hostile client needs: head size, header count, time.

The request head is capped where its bytes arrive, before the parser
buffers them: httptools joins a header's pieces as they come, so an
unbounded 64 MiB header cost seconds of the event loop (measured: 7.7 s,
every other client stalled). A head over ``max_header_bytes`` or with more
than ``max_header_count`` headers gets a 431 and the connection is closed.
A client that has not sent its whole request (head and body) within
``client_timeout_s`` of starting it is disconnected (slow-loris), as is a
connection that sends nothing at all. And a client that stops reading its answer (an export it
never reads) is disconnected once the answer has waited ``send_timeout_s`` for it to read any more:
before, the connection and the page of the export behind it were held forever (100 such clients
took a server from 240 to 541 MB).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.problems import MEDIA_TYPE, problem_body
from app.settings import Settings

logger = logging.getLogger("hipflex.server")


@functools.cache
def _settings() -> Settings:
    # Read once per worker process: the protocol is made per connection, by uvicorn, from a class.
    return Settings()


class _Refused(Exception):
    pass


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = _settings()
        self.max_head = settings.max_header_bytes
        self.max_headers = settings.max_header_count
        self.client_timeout = settings.client_timeout_s
        self.head_bytes = 0
        self.reading_head = True
        self.header_count = 0
        self.refused = False
        self.deadline: asyncio.TimerHandle | None = None
        self.send_timeout = settings.send_timeout_s
        self.send_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._reading_again()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        # The client's socket and our buffer are full: it has this long to read some of it.
        super().pause_writing()
        if self.send_deadline is None:
            self.send_deadline = self.loop.call_later(self.send_timeout, self._not_reading)

    def resume_writing(self) -> None:
        self._reading_again()
        super().resume_writing()

    def _reading_again(self) -> None:
        if self.send_deadline is not None:
            self.send_deadline.cancel()
            self.send_deadline = None

    def _not_reading(self) -> None:
        self.send_deadline = None
        if not self.transport.is_closing():
            logger.info("closed a connection that read none of its answer for %.1f s", self.send_timeout)
            self.transport.abort()  # (close() would wait to flush what the client does not read)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.deadline is None:
            self._arm()  # a new request starts: it has client_timeout_s to arrive whole
        if self.reading_head and self.head_bytes + len(data) > self.max_head:
            # Parse only what the cap allows; if the head did not end in it, refuse.
            allowed = self.max_head - self.head_bytes
            super().data_received(data[:allowed])
            if self.refused:
                return
            if self.reading_head:
                self._refuse(f"The request head is over the {self.max_head:,} byte limit.")
                return
            data = data[allowed:]
        elif self.reading_head:
            self.head_bytes += len(data)
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        if self.header_count > self.max_headers:
            self._refuse(f"The request has more than {self.max_headers} headers.")
            raise _Refused()  # stops the parser; send_400_response below stays quiet
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self.head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self.reading_head = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if not self.refused:
            super().send_400_response(msg)

    def _refuse(self, detail: str) -> None:
        self.refused = True
        self._disarm()
        body = problem_body(431, "headers-too-large", detail, instance=None)
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: " + MEDIA_TYPE.encode() + b"\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head + body)
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(self.client_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            logger.info("closed a connection whose request did not arrive within %.1f s", self.client_timeout)
            self.transport.close()
