"""Parameter rows shared by several resource families, and the options the session adds to every action."""

from __future__ import annotations

from ..catalog_types import Action, Param

__all__ = ["ADDRESS_FIELDS", "METADATA", "CREATED", "COLLECTION_METHOD", "COMMON_OPTIONS", "LIST_OPTIONS",
           "timestamp_range", "list_options"]

ADDRESS_FIELDS = tuple(
    Param(n, "string", h, example=e)
    for n, h, e in [
        ("line1", "Street address line 1.", "1 Main St"),
        ("line2", "Street address line 2 (apartment, suite, unit).", "Apt 4"),
        ("city", "City, district, suburb, town or village.", "Berlin"),
        ("state", "State, county, province or region.", "BE"),
        ("postal_code", "ZIP or postal code.", "10115"),
        ("country", "Two-letter country code (ISO 3166-1 alpha-2).", "DE"),
    ]
)
METADATA = Param("metadata", "map", "Key-value pairs to store on the object.", example="plan_tier=gold")
CREATED = Param("created", "timestamp_range", "Only objects created in this range (Unix seconds or {gt,gte,lt,lte}).",
                example="gte=1704067200")
COLLECTION_METHOD = Param("collection_method", "enum", "How invoices are paid.",
                          choices=("charge_automatically", "send_invoice"), example="send_invoice")

#: Options the session accepts for every action / every list action (documented, not per row).
COMMON_OPTIONS = (
    Param("account", "string", "Act on this connected account (Stripe-Account header).", example="acct_123"),
    Param("credential", "string", "Paragon mode: use this one of the user's connected Stripe accounts "
          "(X-Paragon-Credential header; `%paragon user` lists them).", example="cred-id"),
    Param("expand", "list", "Expand these fields into full objects.", example="customer"),
)
LIST_OPTIONS = (
    Param("limit", "integer", "Total number of rows wanted (pages are fetched as needed).", example="500"),
    Param("created_after", "timestamp", "Only objects created at or after this time (UTC unless a zone is given): "
          "2026-01-01, 2026-01-01T12:00Z, 2026-03, today, yesterday, this-month, last-month, 7d, 12h, "
          "or epoch seconds.", example="2024-01-01"),
    Param("created_before", "timestamp", "Only objects created before this time (same forms as --created-after).",
          example="2024-02-01"),
    Param("month", "string", "Only objects created in this whole month or day, UTC (sets both created bounds): "
          "2026-03, this-month, last-month, 2026-03-05, today, yesterday; a pandas Period via {{ }}.",
          example="2026-03"),
)


def timestamp_range(name: str, help: str) -> Param:
    """A ``{gt,gte,lt,lte}`` filter on a time field other than ``created`` (``due_date``, ``arrival_date``)."""
    return Param(name, "timestamp_range", help + " (Unix seconds or {gt,gte,lt,lte}).", example="gte=2026-01-01")


def list_options(action: Action) -> tuple[Param, ...]:
    """The session's list options ``action`` takes: ``--limit``, and the created bounds where it filters by it."""
    if not action.is_list:
        return ()
    return LIST_OPTIONS if action.filters_created else LIST_OPTIONS[:1]
