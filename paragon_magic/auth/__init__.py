"""Authentication building blocks: Stripe keys, saved credentials, Paragon user tokens.

Imports neither IPython nor widgets; the session layer builds on these.
"""

from .credentials import (
    CONFIG_DIR_ENV,
    STRIPE_KEY_ENV,
    CredentialStore,
    Credentials,
    ProfileInfo,
    default_config_dir,
)
from .resolution import ResolvedCredentials, next_connection, resolve_credentials
from .keys import KeyInfo, Secret, classify_key, looks_like_secret, mask_key, redact_secrets
from .tokens import (
    InvalidTokenError,
    TokenInfo,
    generate_signing_key,
    inspect_user_token,
    mint_user_token,
    verify_user_token,
)

__all__ = [
    "CONFIG_DIR_ENV",
    "STRIPE_KEY_ENV",
    "CredentialStore",
    "Credentials",
    "InvalidTokenError",
    "KeyInfo",
    "ProfileInfo",
    "ResolvedCredentials",
    "Secret",
    "TokenInfo",
    "classify_key",
    "default_config_dir",
    "generate_signing_key",
    "inspect_user_token",
    "looks_like_secret",
    "mask_key",
    "mint_user_token",
    "next_connection",
    "redact_secrets",
    "resolve_credentials",
    "verify_user_token",
]
