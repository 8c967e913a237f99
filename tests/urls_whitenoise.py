"""The page alone: static files come from the middleware, never from a dev urlpattern."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [path("", TemplateView.as_view(template_name="page.html"))]
