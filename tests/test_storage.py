from __future__ import annotations

import random

import pytest
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import StorageHandler, storages
from django.template import Context, Template
from django.test import override_settings

from django_static_url_helper.storage import VersionedStaticFilesStorage

OURS = "django_static_url_helper.storage.VersionedStaticFilesStorage"
BASES = [
    "/static/3fa9c1e2b7d4/",
    "https://cdn.example.com/assets/3fa9c1e2b7d4/",
    "//cdn.example.com/s/",
    "/sub path/é/",
]
AWKWARD = [
    "",
    "/",
    "a b.css",
    "a?b=c.css",
    "a#frag.css",
    "?",
    "#",
    "%",
    "%20",
    "%2e%2e/x",
    "../up.css",
    "/abs.css",
    "//host/x.css",
    "back\\slash.css",
    "é.css",
    "漢字/字.png",
    "emoji-😀.svg",
    "a&b<c>'\".js",
    "semi;colon=eq+plus.css",
    "trailing/",
    "x" * 300,
    "http://evil.example/x.js",
    "mailto:x",
]


def random_names(count: int) -> list[str]:
    rng = random.Random(5)
    alphabet = "ab/ .?#%&+=;:@!$'()*,~-_\\éü漢😀\t"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]


@pytest.mark.parametrize("base", BASES)
def test_url_equals_plain_static_files_storage_for_every_name(base: str) -> None:
    ours = VersionedStaticFilesStorage(base_url=base)
    plain = StaticFilesStorage(base_url=base)
    names = AWKWARD + random_names(2000)
    first = [ours.url(name) for name in names]
    again = [ours.url(name) for name in names]  # answered from the memo
    expected = [plain.url(name) for name in names]
    assert first == expected
    assert again == expected


def test_names_that_are_not_strings_get_what_plain_storage_gives() -> None:
    ours = VersionedStaticFilesStorage(base_url="/static/v/")
    plain = StaticFilesStorage(base_url="/static/v/")
    for name in [None, ["a b.css"], ("t",)]:
        assert ours.url(name) == plain.url(name)  # type: ignore[arg-type]
        assert ours.url(name) == plain.url(name)  # type: ignore[arg-type]


def test_a_storage_built_from_settings_follows_static_url_overrides() -> None:
    storage = VersionedStaticFilesStorage()
    assert storage.url("css/a b.css") == "/static/3fa9c1e2b7d4/css/a%20b.css"
    with override_settings(STATIC_URL="/static/0123456789ab/"):
        assert storage.url("css/a b.css") == "/static/0123456789ab/css/a%20b.css"
        with override_settings(DEBUG=False):  # other settings keep the URLs
            assert storage.url("css/a b.css") == "/static/0123456789ab/css/a%20b.css"
    assert storage.url("css/a b.css") == "/static/3fa9c1e2b7d4/css/a%20b.css"


def test_an_explicit_base_url_is_kept_like_plain_storage_keeps_it() -> None:
    storage = VersionedStaticFilesStorage(base_url="/fixed/")
    assert storage.url("a.css") == "/fixed/a.css"
    with override_settings(STATIC_URL="/static/0123456789ab/"):
        assert storage.url("a.css") == "/fixed/a.css"
        assert StaticFilesStorage(base_url="/fixed/").url("a.css") == "/fixed/a.css"


PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"


@override_settings(STORAGES={"staticfiles": {"BACKEND": OURS}})
def test_static_tag_renders_what_plain_storage_renders_under_override_settings() -> None:
    template = Template("{% load static %}{% for n in names %}{% static n %}|{% endfor %}")
    names = AWKWARD + random_names(200)

    def render(backend: str) -> str:
        with override_settings(STORAGES={"staticfiles": {"BACKEND": backend}}):
            assert type(storages["staticfiles"]).__name__ == backend.rsplit(".", 1)[1]
            return template.render(Context({"names": names}))

    ours = render(OURS)
    assert ours == render(PLAIN)
    assert "/static/3fa9c1e2b7d4/a%26b%3Cc%3E&#x27;%22.js|" in ours  # quoted, then escaped
    with override_settings(STATIC_URL="https://cdn.example.com/static/0123456789ab/"):
        moved = render(OURS)
        assert moved == render(PLAIN)
    assert "|https://cdn.example.com/static/0123456789ab/a%20b.css|" in moved
    assert render(OURS) == ours


def test_twenty_thousand_names_are_each_answered_from_the_memo_after_the_first_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours = VersionedStaticFilesStorage(base_url="/s/")
    computed: list[str | None] = []
    plain_url = StaticFilesStorage.url

    def counting(self: StaticFilesStorage, name: str | None) -> str:
        computed.append(name)
        return plain_url(self, name)

    monkeypatch.setattr(StaticFilesStorage, "url", counting)
    names = [f"js/f{number}.js" for number in range(20_000)]
    for _ in range(3):
        for name in names:
            ours.url(name)
    assert len(computed) == len(names)  # a hit rate of 2/3: every repeat is a hit


def test_a_full_memo_keeps_half_of_what_it_held() -> None:
    ours = VersionedStaticFilesStorage(base_url="/s/", url_memo_size=4)
    for name in ["a.css", "b.css", "c.css", "d.css", "e.css"]:
        ours.url(name)
    assert list(ours._urls) == ["c.css", "d.css", "e.css"]


def test_the_memo_is_bounded_and_answers_stay_right_past_the_bound() -> None:
    ours = VersionedStaticFilesStorage(base_url="/s/", url_memo_size=3)
    plain = StaticFilesStorage(base_url="/s/")
    for name in ["a.css", "b.css", "a.css", "c.css", "b.css"]:
        ours.url(name)
    assert sorted(ours._urls) == ["a.css", "b.css", "c.css"]  # kept up to the bound
    names = [f"f{i}.css" for i in range(10)] * 3
    assert [ours.url(n) for n in names] == [plain.url(n) for n in names]
    assert len(ours._urls) <= 3


def test_the_bound_is_an_option_of_storages() -> None:
    # The handler Django builds from settings.STORAGES. django-stubs types the
    # definitions as Storage instances; Django takes STORAGES-shaped dicts.
    handler = StorageHandler(
        {"staticfiles": {"BACKEND": OURS, "OPTIONS": {"url_memo_size": 7}}}  # type: ignore[dict-item]
    )
    storage = handler["staticfiles"]
    assert isinstance(storage, VersionedStaticFilesStorage)
    assert storage.url_memo_size == 7


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (0, "url_memo_size must be at least 1, got 0"),
        (-5, "at least 1"),
        ("100", "must be a whole number, got '100'"),
        (True, "must be a whole number, got True"),
        (None, r"Set it in STORAGES\['staticfiles'\]\['OPTIONS'\]"),
    ],
)
def test_a_bad_bound_is_a_clear_error(size: object, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        VersionedStaticFilesStorage(url_memo_size=size)  # type: ignore[arg-type]
