"""Catalog rows for products, prices and plans."""

from __future__ import annotations

from ..catalog_types import Action, Param
from .shared import CREATED, METADATA

PRICE_DATA_FIELDS = (
    Param("currency", "string", "Three-letter ISO currency code, lowercase.", required=True, example="usd"),
    Param("unit_amount", "integer", "Price in the currency's smallest unit (cents).", example="2000"),
    Param("recurring", "object", "Billing interval for a recurring price.", example="recurring[interval]=month",
          fields=(Param("interval", "enum", "Billing frequency.", required=True,
                        choices=("day", "week", "month", "year"), example="month"),
                  Param("interval_count", "integer", "Number of intervals between billings.", example="1"))),
)

ROWS = (
    Action("create_product", "STRIPE_CREATE_PRODUCT", "create", "POST", "/v1/products", "product",
           "Create a product, optionally with a default price.",
           params=(
               Param("name", "string", "The product's name, shown to customers.", required=True, example="T-shirt"),
               Param("description", "string", "The product's description.", example="Comfortable cotton t-shirt"),
               Param("active", "boolean", "Whether the product can be bought.", example="true"),
               METADATA,
               Param("default_price_data", "object", "Create a default price for the product.",
                     fields=PRICE_DATA_FIELDS, example="default_price_data[unit_amount]=2000"),
               Param("shippable", "boolean", "Whether the product is shipped (physical goods).", example="false"),
               Param("url", "string", "A publicly accessible web page for the product.",
                     example="https://example.com/tshirt"),
               Param("type", "enum", "`good` or `service`.", choices=("good", "service"), example="service"),
           ),
           examples=("%stripe create_product --name T-shirt --default_price_data "
                     "'{\"currency\": \"usd\", \"unit_amount\": 2000}'",)),
    Action("get_product", "STRIPE_GET_PRODUCT_BY_ID", "retrieve", "GET", "/v1/products/{id}", "product",
           "Retrieve one product by ID.", id_param="product", examples=("%stripe get_product prod_123",)),
    Action("list_products", "STRIPE_GET_PRODUCTS", "list", "GET", "/v1/products", "product",
           "List products, newest first.",
           params=(
               Param("active", "boolean", "Only active (true) or archived (false) products.", example="true"),
               CREATED,
               Param("ids", "list", "Only products with these IDs.", example="prod_1,prod_2"),
               Param("shippable", "boolean", "Only shippable (true) or non-shippable products.", example="true"),
               Param("type", "enum", "Only products of this type.", choices=("good", "service"), example="good"),
               Param("url", "string", "Only products with this URL.", example="https://example.com/tshirt"),
           ),
           examples=("%stripe list_products --active true",)),
    Action("list_plans", "STRIPE_GET_PLANS", "list", "GET", "/v1/plans", "plan",
           "List plans (the legacy form of recurring prices), newest first.",
           params=(
               Param("active", "boolean", "Only active (true) or inactive (false) plans.", example="true"),
               Param("product", "string", "Only plans of this product.", example="prod_123"),
               CREATED,
           ),
           examples=("%stripe list_plans --product prod_123",)),
)
