"""A local double of Paragon: its Proxy API and its Users API, each on its own loopback host.

- Proxy API (:mod:`.proxy`): ``/projects/{id}/sdk/proxy/stripe/…`` checks the user token (RS256 with
  the project's public key, expiry, audience, ``iat``), picks the user's Stripe credential
  (``X-Paragon-Credential``), forwards to an upstream Stripe (the local sandbox) with that key and
  wraps a 2xx answer as ``{"output": …}``.
- Users API (:mod:`.users_api`): ``GET``/``PATCH /projects/{id}/sdk/me`` (user state, metadata).
- What is documented Paragon behaviour and what is our assumption: :mod:`.envelopes`.

::

    double = ParagonDouble.with_new_key(upstream_url=stripe.url, users={"user-1": stripe.key})
    with ParagonDoubleServer(double) as servers:
        token = double.mint_token("user-1")
        Paragon(base_url=servers.url, api_base=servers.api_url).authenticate(double.project_id, token)
"""

from .envelopes import STRIPE_ERROR_STYLES
from .server import LOOPBACK, ParagonDoubleServer, ThreadedAppServer
from .state import DEFAULT_PROJECT_ID, ParagonDouble, StripeCredential

__all__ = [
    "DEFAULT_PROJECT_ID", "LOOPBACK", "STRIPE_ERROR_STYLES", "ParagonDouble", "ParagonDoubleServer",
    "StripeCredential", "ThreadedAppServer",
]
