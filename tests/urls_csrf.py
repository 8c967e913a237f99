"""A sign-in form as the admin's: a CSRF token in the page, checked on the POST."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

FORM = engines["django"].from_string(
    '<form method="post">{% csrf_token %}<input name="username"></form>'
)


def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return HttpResponse(f"signed in as {request.POST['username']}")
    return HttpResponse(FORM.render(request=request))


def host(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.get_host())


urlpatterns = [path("sign-in/", sign_in), path("host/", host)]
