"""Catalog rows for customers."""

from __future__ import annotations

from ..catalog_types import Action, Param
from .shared import ADDRESS_FIELDS, CREATED, METADATA

CUSTOMER_FIELDS = (
    Param("name", "string", "The customer's full name or business name.", example="Jenny Rosen"),
    Param("email", "string", "The customer's email address.", example="jenny@example.com"),
    Param("description", "string", "Free text shown alongside the customer in the Dashboard.", example="VIP"),
    Param("phone", "string", "The customer's phone number.", example="+15555550123"),
    Param("address", "object", "The customer's address.", fields=ADDRESS_FIELDS, example="city=Berlin,country=DE"),
    METADATA,
    Param("payment_method", "string", "ID of a PaymentMethod to attach to the customer (create only).",
          example="pm_card_visa"),
    Param("invoice_settings", "object", "Default invoice settings.",
          fields=(Param("default_payment_method", "string", "PaymentMethod used for invoices and subscriptions.",
                        example="pm_123"),),
          example="default_payment_method=pm_card_visa"),
)

ROWS = (
    Action("create_customer", "STRIPE_CREATE_CUSTOMER", "create", "POST", "/v1/customers", "customer",
           "Create a customer.", params=CUSTOMER_FIELDS,
           examples=("%stripe create_customer --name 'Jenny Rosen' --email jenny@example.com",
                     "%stripe create_customer --name 'Jenny Rosen' --address city=Berlin,country=DE "
                     "address[line1]='1 Main St' --metadata tier=gold")),
    Action("update_customer", "STRIPE_UPDATE_CUSTOMER", "update", "POST", "/v1/customers/{id}", "customer",
           "Update a customer; parameters not given are left unchanged.", id_param="customer",
           params=tuple(p for p in CUSTOMER_FIELDS if p.name != "payment_method"),
           examples=("%stripe update_customer cus_123 --email new@example.com --metadata tier=gold",)),
    Action("get_customer", "STRIPE_GET_CUSTOMER_BY_ID", "retrieve", "GET", "/v1/customers/{id}", "customer",
           "Retrieve one customer by ID.", id_param="customer", examples=("%stripe get_customer cus_123",)),
    Action("list_customers", "STRIPE_GET_CUSTOMERS", "list", "GET", "/v1/customers", "customer",
           "List customers, newest first.",
           params=(Param("email", "string", "Only customers with this exact email (case-sensitive).",
                         example="jenny@example.com"),
                   CREATED,
                   Param("test_clock", "string", "Only customers attached to this test clock.", example="clock_123")),
           examples=("%stripe list_customers --limit 500", "%stripe list_customers --email jenny@example.com")),
)
