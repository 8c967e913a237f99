from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_static_url_helper import version


@pytest.mark.parametrize("name", ["3fa9c1e2b7d4", "000000000000", "ffffffffffff"])
def test_segment_shape_accepts_twelve_lowercase_hex_digits(name: str) -> None:
    assert version.is_segment(name)


@pytest.mark.parametrize(
    "name",
    [
        "fa",
        "cafe",
        "2024",
        "3fa9c1e2b7d",
        "3fa9c1e2b7d4a",
        "3FA9C1E2B7D4",
        "3fa9c1e2b7dg",
        "",
        "-" * 12,
    ],
)
def test_segment_shape_rejects_everything_else(name: str) -> None:
    assert not version.is_segment(name)


def test_keyed_segment_has_the_segment_shape_and_is_deterministic() -> None:
    first = version.keyed_segment("release:abc", "secret")
    assert version.is_segment(first)
    assert first == version.keyed_segment("release:abc", "secret")


def test_keyed_segment_depends_on_value_and_secret() -> None:
    base = version.keyed_segment("release:abc", "secret")
    assert base != version.keyed_segment("release:abd", "secret")
    assert base != version.keyed_segment("release:abc", "other secret")
    assert base != version.keyed_segment("release:abc", None)


def test_keyed_segment_does_not_use_the_secret_as_key_directly() -> None:
    import hashlib
    import hmac

    direct = hmac.new(b"secret", b"release:abc", hashlib.sha256).hexdigest()[:12]
    assert version.keyed_segment("release:abc", "secret") != direct
    assert version.keyed_segment("x", b"secret") == version.keyed_segment("x", "secret")


def test_plain_segment_is_the_timestamp_in_hex() -> None:
    assert version.plain_segment(1480000000) == "000058370200"
    assert version.is_segment(version.plain_segment(1480000000))


@pytest.mark.parametrize(
    "base", ["/static/", "static/", "https://cdn.example.com/static/", "/st+at(i)c[1]/", "/"]
)
def test_validate_base_accepts_bases_ending_with_slash(base: str) -> None:
    assert version.validate_base(base) == base


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("/static", "must end with '/'"),
        ("https://cdn.example.com/static", "use 'https://cdn.example.com/static/'"),
        ("", "non-empty string"),
        (None, "non-empty string"),
        ("/static/?v=1/", "query string"),
    ],
)
def test_validate_base_rejects_with_a_message_saying_how_to_fix(base: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message.replace("?", r"\?").replace(".", r"\.")):
        version.validate_base(base)


@pytest.mark.parametrize(
    "base",
    [
        "/static/?v=1",
        "/static/?v=1/",
        "/static#top",
        "static/?v=1",
        "https://cdn.example.com/static?v=1",
        "https://cdn.example.com?v=1",
        "/static",
        "https://cdn.example.com",
    ],
)
def test_the_base_a_refusal_suggests_is_itself_valid(base: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"[Uu]se '[^']*'") as info:
        version.validate_base(base)
    suggested = re.search(r"[Uu]se '([^']*)'", str(info.value))
    assert suggested is not None
    assert version.validate_base(suggested[1]) == suggested[1]


@pytest.mark.parametrize(
    ("url", "base", "segment"),
    [
        ("/static/3fa9c1e2b7d4/", "/static/", "3fa9c1e2b7d4"),
        ("https://cdn.example.com/s/3fa9c1e2b7d4/", "https://cdn.example.com/s/", "3fa9c1e2b7d4"),
        ("/3fa9c1e2b7d4/", "/", "3fa9c1e2b7d4"),
        ("/static/", "/static/", None),
        ("/static/cafe/", "/static/cafe/", None),
        ("/static/3fa9c1e2b7d4", "/static/3fa9c1e2b7d4", None),
        ("", "", None),
    ],
)
def test_split_url(url: str, base: str, segment: str | None) -> None:
    assert version.split_url(url) == (base, segment)


def test_join_then_split_url_round_trips() -> None:
    url = version.join("https://cdn.example.com/st+at(ic)/", "3fa9c1e2b7d4")
    assert version.split_url(url) == ("https://cdn.example.com/st+at(ic)/", "3fa9c1e2b7d4")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("3fa9c1e2b7d4/css/site.css", ("3fa9c1e2b7d4", "css/site.css")),
        ("css/site.css", (None, "css/site.css")),
        # Real folders with hex names are not versions (0.1.0 stripped them).
        ("fa/fa.css", (None, "fa/fa.css")),
        ("cafe/app.css", (None, "cafe/app.css")),
        ("2024/x.png", (None, "2024/x.png")),
        ("3fa9c1e2b7d4/fa/fa.css", ("3fa9c1e2b7d4", "fa/fa.css")),
        ("3fa9c1e2b7d4", (None, "3fa9c1e2b7d4")),
        ("with space/a b.css", (None, "with space/a b.css")),
    ],
)
def test_split_path(path: str, expected: tuple[str | None, str]) -> None:
    assert version.split_path(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "",
        "3fa9c1e2b7d4/",
        "css/",
        "../settings.py",
        "css/../../settings.py",
        "3fa9c1e2b7d4/../x.png",
        "./css/site.css",
        "/etc/passwd",
        "css//site.css",
        "..\\settings.py",
        "css\\..\\..\\x",
        "css/site.css\x00.png",
        ".env",
        "3fa9c1e2b7d4/.env",
        "css/.hidden/x.css",
    ],
)
def test_split_path_refuses_unsafe_paths(path: str) -> None:
    assert version.split_path(path) is None


@pytest.mark.parametrize(
    ("base", "says"),
    [
        ("/static/ ", "white space or a control character"),
        (" /static/", "white space or a control character"),
        ("/sta tic/", "white space or a control character"),
        ("/static/\n", "white space or a control character"),
        ("/static/../", "'.' or '..' path segment"),
        ("/static/%2e%2e/", "'.' or '..' path segment"),
        ("/static/./", "'.' or '..' path segment"),
        ("javascript:alert(1)//", "an http(s) URL without credentials"),
        ("ftp://files.example.com/static/", "an http(s) URL without credentials"),
        ("https://user:pw@cdn.example.com/static/", "an http(s) URL without credentials"),
    ],
)
def test_a_base_no_url_can_carry_is_refused_with_advice_that_works(base: str, says: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=re.escape(says)) as refused:
        version.validate_base(base)
    # The advice names a base the check itself accepts.
    advice = re.findall(r"'(/static/|https://cdn\.example\.com/static/)'", str(refused.value))
    assert advice
    assert all(version.validate_base(good) == good for good in advice)


@pytest.mark.parametrize(
    "base", ["/static/", "static/", "https://cdn.example.com/static/", "//cdn.example.com/s/"]
)
def test_ordinary_bases_are_accepted(base: str) -> None:
    assert version.validate_base(base) == base


def test_a_base_that_already_ends_with_a_version_is_refused_for_a_new_one() -> None:
    with pytest.raises(ImproperlyConfigured, match="pass the unversioned base, '/static/'"):
        version.join("/static/0123456789ab/", "3fa9c1e2b7d4")


@pytest.mark.parametrize("key", [123, ["k"], 1.5])
def test_a_secret_key_that_is_not_a_string_is_a_clear_error(key: object) -> None:
    with pytest.raises(ImproperlyConfigured, match="secret_key must be a string"):
        version.keyed_segment("r1", key)  # type: ignore[arg-type]
