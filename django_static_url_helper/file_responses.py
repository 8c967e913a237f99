"""A Django response for whitenoise's prepared files under ASGI.

Under ASGI, Django can stream only an async iterator without help: handed
whitenoise's file object it warns on every response and reads the whole file
into a list in a worker thread. ``serve_async`` streams the file instead, one
block at a time, each read in the default executor: no thread is held for the
length of a download, and the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

__all__ = ["BLOCK_SIZE", "FileBlocks", "for_asgi", "serve_async"]

# Each read is one hop to a worker thread, which costs more than copying
# bytes: 1 MiB a read serves most files in one hop (a 1 MB image in 16 hops
# of 64 KiB served 0.8x the requests/s of one bulk read; bench/serve_asgi.py)
# while a download never holds more than 1 MiB. Django's ASGI handler still
# sends the body in 64 KiB messages.
BLOCK_SIZE = 1 << 20


def serve_async(static_file: Any, request: HttpRequest) -> StreamingHttpResponse:
    """whitenoise's ``serve`` for ASGI: the same status and headers, the body read block by block.

    Opening the file stays on the event loop: whitenoise opens a path it has
    already stat'ed, which the kernel answers from its caches.
    """
    prepared = static_file.get_response(request.method, request.META)
    length = _content_length(prepared.headers)
    body = _empty() if prepared.file is None else FileBlocks(prepared.file, length)
    response = StreamingHttpResponse(body, status=int(prepared.status))
    del response["Content-Type"]  # whitenoise's headers say it, or nothing does
    for name, value in prepared.headers:
        response[name] = value
    return response


def for_asgi(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """A view's FileResponse, streamed by an async iterator when ``request`` came by ASGI."""
    if isinstance(request, ASGIRequest) and isinstance(response, FileResponse):
        file = response.file_to_stream
        if file is not None:
            response.streaming_content = FileBlocks(file, int(response["Content-Length"]))
    return response


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    for name, value in headers:
        if name == "Content-Length":
            return int(value)
    return None


class FileBlocks:
    """A file's bytes as an async iterable, ``BLOCK_SIZE`` at a time.

    Django closes a response it has sent, or one whose client went away, by
    calling ``close()`` on its content: the file is closed even when the
    iteration never ran to its end.
    """

    def __init__(self, file: BinaryIO, length: int | None) -> None:
        self.file = file
        self.length = length

    def close(self) -> None:
        self.file.close()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Knowing the length saves the last read, the one that only finds the
        # end: a small file (most of a page's assets) costs one read.
        loop = asyncio.get_running_loop()
        remaining = -1 if self.length is None else self.length
        try:
            while remaining != 0:
                size = BLOCK_SIZE if remaining < 0 else min(BLOCK_SIZE, remaining)
                block = await loop.run_in_executor(None, self.file.read, size)
                if not block:
                    return
                if remaining > 0:
                    remaining -= len(block)
                yield block
        finally:
            self.file.close()


async def _empty() -> AsyncIterator[bytes]:
    # An async iterator even when there is no body (HEAD, 304, 416): a sync
    # one would bring back Django's warning.
    return
    yield b""  # pragma: no cover - makes this an async generator
