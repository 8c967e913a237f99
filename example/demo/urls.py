from django.conf import settings
from django.urls import path

from django_static_url_helper.django_url_helper import staticfiles_dynamicurlpatterns

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("integrity/", views.integrity, name="integrity"),
]

if settings.DEBUG:
    urlpatterns += staticfiles_dynamicurlpatterns(settings.STATIC_ROOT_URL)
