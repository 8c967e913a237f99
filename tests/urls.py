from django.conf import settings
from django.urls import path
from django.views.generic import TemplateView

from django_static_url_helper.django_url_helper import staticfiles_dynamicurlpatterns

urlpatterns = [path("", TemplateView.as_view(template_name="page.html"))]

if settings.DEBUG:
    urlpatterns += staticfiles_dynamicurlpatterns(settings.STATIC_ROOT_URL)
