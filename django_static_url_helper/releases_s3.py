"""The release storage for an S3 bucket, with django-storages (``pip install django-storages[s3]``).

Kept apart from ``releases`` so that module never needs boto3.
"""

from __future__ import annotations

from storages.backends.s3 import S3StaticStorage  # type: ignore[import-untyped]

from .releases import ReleaseStorageMixin


class ReleaseS3Storage(ReleaseStorageMixin, S3StaticStorage):  # type: ignore[misc]
    """``S3StaticStorage`` that keeps every release below ``<location>/<version>/``.

    Uploads carry ``Cache-Control: public, max-age=31536000, immutable`` unless
    ``object_parameters`` (``AWS_S3_OBJECT_PARAMETERS``) set their own.
    """
