"""The recommended static files storage: ``{% static %}`` at the cost of a dictionary lookup.

With the version in ``STATIC_URL`` no file needs a per-file hash, so the URL
of a name depends on the name and ``STATIC_URL`` alone. Plain
StaticFilesStorage quotes the name and joins it to ``STATIC_URL`` on every
call, which is most of what ``{% static %}`` costs; this storage does that
once per name.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from .conf import conf

__all__ = ["DEFAULT_URL_MEMO_SIZE", "VersionedStaticFilesStorage"]

DEFAULT_URL_MEMO_SIZE = 1 << 17
"""131,072 names: more than the static files of any site we know, a few MiB at most."""


class VersionedStaticFilesStorage(StaticFilesStorage):
    """StaticFilesStorage that remembers the URL of every name it was asked for.

    ``url(name)`` returns exactly what StaticFilesStorage returns, for every
    name. Without an explicit ``base_url`` the storage follows ``STATIC_URL``
    when it changes (``override_settings``). ``url_memo_size`` (an OPTIONS key
    in ``STORAGES``) bounds how many names are kept.
    """

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        base_url: str | None = None,
        *args: Any,
        url_memo_size: int = DEFAULT_URL_MEMO_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(location, base_url, *args, **kwargs)
        if isinstance(url_memo_size, bool) or not isinstance(url_memo_size, int):
            raise ImproperlyConfigured(
                f"VersionedStaticFilesStorage: url_memo_size must be a whole number, "
                f"got {url_memo_size!r}. Set it in STORAGES['staticfiles']['OPTIONS'], "
                f"e.g. {{'url_memo_size': {DEFAULT_URL_MEMO_SIZE}}}."
            )
        if url_memo_size < 1:
            raise ImproperlyConfigured(
                f"VersionedStaticFilesStorage: url_memo_size must be at least 1, got "
                f"{url_memo_size}. Use StaticFilesStorage to keep no URL at all."
            )
        self.url_memo_size = url_memo_size
        self._follows_static_url = base_url is None
        self._urls: dict[Any, str] = {}
        # A weak receiver: it goes away with the storage.
        setting_changed.connect(self._static_url_changed)

    def url(self, name: str | None) -> str:
        try:
            return self._urls[name]
        except KeyError:
            pass
        except TypeError:  # an unhashable name is answered, never kept
            return super().url(name)
        unpublished = conf.unpublished()
        if unpublished is not None:
            raise unpublished
        url = super().url(name)
        urls = self._urls
        if len(urls) >= self.url_memo_size:
            # Full: names from elsewhere (user input), or more files than the
            # bound. Drop the older half, not all: the names pages use come
            # back at once, and the memo never grows past the bound.
            for old in list(itertools.islice(urls, max(1, len(urls) // 2))):
                urls.pop(old, None)
        urls[name] = url
        return url

    def _static_url_changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting != "STATIC_URL":
            return
        if self._follows_static_url:
            self._base_url = settings.STATIC_URL
            self.__dict__.pop("base_url", None)
        self._urls.clear()
