"""The HTTP API (FastAPI) over the clearinghouse and its registries (issue #7)."""

from clearinghouse.api.app import create_app

__all__ = ["create_app"]
