"""Switchboard's Python SDK: sync (``Switchboard``) and async (``AsyncSwitchboard``) clients of the v1 API."""

from . import webhooks
from ._async._client import AsyncSwitchboard
from ._retry import RetryPolicy
from ._sync._client import Switchboard
from ._version import __version__
from .auth import ClientCredentials, OAuthRefreshToken, StaticToken, TokenProvider, UserSession
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    SwitchboardError,
    UnprocessableEntityError,
    ValidationError,
    WebhookVerificationError,
)
from .pagination import Page

__all__ = [
    "Switchboard", "AsyncSwitchboard", "RetryPolicy", "Page", "webhooks", "__version__",
    "TokenProvider", "StaticToken", "ClientCredentials", "OAuthRefreshToken", "UserSession",
    "SwitchboardError", "APIConnectionError", "APITimeoutError", "APIStatusError", "BadRequestError", "ValidationError",
    "AuthenticationError", "PermissionDeniedError", "NotFoundError", "ConflictError", "PreconditionFailedError",
    "UnprocessableEntityError", "RateLimitError", "ServerError", "OAuthError", "WebhookVerificationError",
]
