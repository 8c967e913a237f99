"""The nginx block as text: the renderer, its refusals, the command, the shipped files."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from django_static_url_helper import nginx, version

if TYPE_CHECKING:
    from pytest_django import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = nginx.Block(base="/static/", root="/srv/example/static", current="3fa9c1e2b7d4")
# The files in nginx/ are exactly what the renderer produces for these values.
SHIPPED = {
    "static.conf": EXAMPLE,
    "example-server.conf": nginx.Block(
        base=EXAMPLE.base,
        root=EXAMPLE.root,
        current=EXAMPLE.current,
        headers_include="snippets/security-headers.conf",
        server=nginx.Server(
            listen="80",
            name="example.com www.example.com",
            upstream="unix:/run/gunicorn/example.sock",
        ),
    ),
}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("static_url", "nginx", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_files_are_what_the_renderer_produces(name: str) -> None:
    path = ROOT / "nginx" / name
    rendered = nginx.render(SHIPPED[name])
    if os.environ.get("UPDATE_NGINX_EXAMPLES") == "1":
        path.write_text(rendered)
    assert path.read_text() == rendered, (
        f"nginx/{name} differs from the renderer's output: if the change is "
        f"intended, run UPDATE_NGINX_EXAMPLES=1 pytest tests/test_nginx_render.py"
    )


@pytest.mark.parametrize("block", list(SHIPPED.values()))
def test_rendered_text_has_no_template_residue(block: nginx.Block) -> None:
    text = nginx.render(block)
    assert "{%" not in text
    assert "{{" not in text
    assert "{#" not in text
    assert "\n\n\n" not in text
    assert not [line for line in text.splitlines() if line != line.rstrip()]
    assert text.endswith("}\n")


def test_command_prints_the_block_of_this_project(settings: Settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path
    out = run()
    assert "location ^~ /static/ {\n" in out
    assert f'alias "{tmp_path}/";' in out
    assert "location ^~ /static/3fa9c1e2b7d4/ {\n" in out
    assert 'add_header Cache-Control "public, max-age=31536000, immutable";' in out
    assert 'add_header Cache-Control "public, max-age=60";' in out
    # Every error but the 404s keeps its status, with "no-store".
    assert "error_page 400 401 405 412 413 429 500 503 @static_url_error;" in out
    assert "expires off;" in out
    # The one regex of a version is built from the segment format itself.
    assert f'location ~ "^/static/{version.SEGMENT_PATTERN}/" {{' in out
    assert "rewrite " in out
    assert "/static/.version-mismatch/$1 last;" in out
    assert "add_header X-Static-Version 3fa9c1e2b7d4;" in out
    assert "\nserver {" not in out
    assert "proxy_pass" not in out
    assert out.startswith("# Static files of /static/3fa9c1e2b7d4/")


def test_policy_settings_shape_the_block(settings: Settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path
    settings.STATIC_VERSION_MISMATCH = "404"
    settings.STATIC_VERSION_MAX_AGE = 86400
    settings.STATIC_VERSION_UNVERSIONED_MAX_AGE = 0
    settings.STATIC_VERSION_HEADER = None
    out = run()
    assert 'add_header Cache-Control "public, max-age=86400, immutable";' in out
    assert 'add_header Cache-Control "public, max-age=0";' in out
    assert "version-mismatch" not in out
    assert "X-Static-Version" not in out
    regex_location = out.split(f'location ~ "^/static/{version.SEGMENT_PATTERN}/" {{\n')[1]
    assert regex_location.lstrip().startswith("return 404;")


def test_numbers_are_never_localized(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/static"
    settings.USE_THOUSAND_SEPARATOR = True
    settings.LANGUAGE_CODE = "de"
    assert 'add_header Cache-Control "public, max-age=31536000, immutable";' in run()


def test_relative_static_root_is_made_absolute(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings.STATIC_ROOT = "collected"
    assert f'alias "{tmp_path}/collected/";' in run()


def test_headers_include_is_repeated_in_every_location_that_sets_headers(
    settings: Settings,
) -> None:
    settings.STATIC_ROOT = "/srv/static"
    out = run("--headers-include", "/etc/nginx/snippets/security-headers.conf")
    # The unversioned, current, other-version, 404 and other error locations,
    # and the Range "if" of the first two: an "if" with add_header lines of
    # its own inherits none of its location's.
    assert out.count('include "/etc/nginx/snippets/security-headers.conf";') == 7
    assert out.count("add_header Cache-Control") == 7


def test_server_option_prints_a_complete_server(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/static"
    out = run(
        "--server",
        "--listen",
        "8080",
        "--server-name",
        "example.org",
        "--upstream",
        "unix:/run/app.sock",
    )
    assert out.startswith("# A complete nginx server")
    assert "    listen 8080;\n    server_name example.org;\n" in out
    assert "        proxy_pass http://unix:/run/app.sock;\n" in out
    assert "    location ^~ /static/ {\n" in out
    assert out.endswith("}\n")


def test_server_options_without_server_say_add_server(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/static"
    with pytest.raises(
        CommandError, match="Only a server block takes --listen, --upstream: add --server"
    ):
        run("--listen", "80", "--upstream", "127.0.0.1:8000")


def test_without_static_root_the_command_says_set_it(settings: Settings) -> None:
    settings.STATIC_ROOT = None
    with pytest.raises(CommandError, match="STATIC_ROOT is not set.*collectstatic"):
        run()


def test_without_a_version_the_command_says_how_to_add_one(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/static"
    settings.STATIC_URL = "/static/"
    with pytest.raises(CommandError, match="'/static/' carries no version segment.*url_helper"):
        run()


@pytest.mark.parametrize("allowed", [["127.0.0.1"], ["*"]])
def test_static_url_on_another_host_is_refused(settings: Settings, allowed: list[str]) -> None:
    settings.STATIC_ROOT = "/srv/static"
    settings.ALLOWED_HOSTS = allowed
    settings.STATIC_URL = "https://cdn.example.com/assets/3fa9c1e2b7d4/"
    with pytest.raises(CommandError, match=r"on another host \(cdn.example.com\).*--origin"):
        run()


def test_origin_renders_the_path_of_a_cdn_url(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/static"
    settings.STATIC_URL = "https://cdn.example.com/assets/3fa9c1e2b7d4/"
    assert "location ^~ /assets/3fa9c1e2b7d4/ {" in run("--origin")


def test_absolute_static_url_on_this_site_renders_its_path(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/static"
    settings.ALLOWED_HOSTS = [".example.com"]
    settings.STATIC_URL = "https://www.example.com/static/3fa9c1e2b7d4/"
    assert "location ^~ /static/3fa9c1e2b7d4/ {" in run()


def block(**changes: object) -> nginx.Block:
    values = {**EXAMPLE.__dict__, **changes}
    return nginx.Block(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base": "/static"}, "'/static' cannot go into an nginx location: it must start and end"),
        ({"base": "static/"}, "must start and end with '/'"),
        ({"base": "/a b/"}, "'/a b/' cannot go into an nginx location"),
        ({"base": "/a/../b/"}, "no empty, '.' or '..' parts"),
        ({"base": "/a//b/"}, "no empty, '.' or '..' parts"),
        ({"base": "/.static/"}, "no empty, '.' or '..' parts"),
        ({"base": "/st{1}/"}, "cannot go into an nginx location"),
        ({"base": "/"}, "The STATIC_URL path is '/': the static block would take every URL"),
        (
            {"root": "/srv/$static"},
            "STATIC_ROOT '/srv/$static' cannot go into nginx config: nginx misreads '$'",
        ),
        ({"root": 'x/"y'}, "nginx misreads '\"'"),
        ({"root": "srv/static"}, "STATIC_ROOT 'srv/static' is relative"),
        ({"root": ""}, "STATIC_ROOT '' cannot go into nginx config."),
        (
            {"headers_include": "a;\nb"},
            "--headers-include 'a;\\nb' cannot go into nginx config: nginx misreads '\\n'",
        ),
        ({"current": "3FA9C1E2B7D4"}, "'3FA9C1E2B7D4' is not a version segment"),
        ({"mismatch": "gone"}, "STATIC_VERSION_MISMATCH is 'gone': use 'no-store' or '404'"),
        ({"max_age": -1}, "STATIC_VERSION_MAX_AGE is -1: use a whole number of seconds"),
        ({"unversioned_max_age": 1.5}, "STATIC_VERSION_UNVERSIONED_MAX_AGE is 1.5"),
        ({"unversioned_max_age": True}, "STATIC_VERSION_UNVERSIONED_MAX_AGE is True"),
        ({"version_header": "X Version"}, "STATIC_VERSION_HEADER 'X Version' is not a header name"),
        (
            {"server": nginx.Server(listen="80; evil")},
            "--listen '80; evil' is not an nginx listen address",
        ),
        ({"server": nginx.Server(name="a;b")}, "--server-name 'a;b' is not a list of host names"),
        (
            {"server": nginx.Server(upstream="localhost")},
            "--upstream 'localhost' is not an app server address",
        ),
        (
            {"server": nginx.Server(upstream="unix:run.sock")},
            "use HOST:PORT (e.g. '127.0.0.1:8000') or unix:/PATH",
        ),
    ],
)
def test_values_nginx_would_misread_are_refused_with_the_fix(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        nginx.render(block(**changes))


@pytest.mark.parametrize(
    "setting", ["STATIC_VERSION_MAX_AGE", "STATIC_VERSION_UNVERSIONED_MAX_AGE"]
)
def test_a_max_age_setting_that_is_no_number_is_a_command_error(
    settings: Settings, setting: str
) -> None:
    settings.STATIC_ROOT = "/srv/static"
    setattr(settings, setting, "a year")
    with pytest.raises(CommandError, match=f"{setting} is 'a year': use a whole number of seconds"):
        run()


def test_a_static_url_path_nginx_cannot_match_is_a_command_error(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/static"
    settings.STATIC_URL = "/st atic/3fa9c1e2b7d4/"
    with pytest.raises(
        CommandError, match="The STATIC_URL path '/st atic/' cannot go into an nginx location"
    ):
        run()


def test_command_turns_a_refused_value_into_a_command_error(settings: Settings) -> None:
    settings.STATIC_ROOT = "/srv/$HOME"
    with pytest.raises(CommandError, match="nginx misreads '\\$'"):
        run()


@pytest.mark.parametrize(
    ("listen", "upstream"),
    [
        ("127.0.0.1:8080", "127.0.0.1:8000"),
        ("[::]:80 ipv6only=on", "[::1]:8000"),
        ("443 ssl", "app.internal:80"),
    ],
)
def test_usual_listen_and_upstream_values_are_accepted(listen: str, upstream: str) -> None:
    text = nginx.render(block(server=nginx.Server(listen=listen, upstream=upstream)))
    assert f"    listen {listen};\n" in text
    assert f"proxy_pass http://{upstream};" in text


def test_gzip_static_only_where_the_tree_holds_gz_variants(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body {}")
    (tmp_path / "notes.gz").write_bytes(b"")  # a .gz of its own, not a variant
    assert "gzip_static on;" not in run()
    (tmp_path / "css" / "site.css.gz").write_bytes(b"")
    assert "gzip_static on;" in run()


def test_vary_only_where_a_gz_variant_may_be_sent(settings: Settings, tmp_path: Path) -> None:
    # Without gzip_static every client gets the same bytes, unless nginx
    # compresses on the fly: gzip_vary says so then, and only then.
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body {}")
    assert "add_header Vary" not in run()
    assert "gzip_vary on;" in run()  # Vary only where nginx compresses on the fly
    (tmp_path / "css" / "site.css.gz").write_bytes(b"")
    served = run()
    # /static/, the current version, other versions, and the two Range "if"s.
    assert served.count("add_header Vary Accept-Encoding;") == 5
    assert "gzip_vary on;" not in served  # it would look for a .gz for every client
