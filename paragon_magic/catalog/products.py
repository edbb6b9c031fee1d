"""Catalog rows for products, prices and plans (the legacy form of recurring prices)."""

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

INTERVALS = ("day", "week", "month", "year")
PRICE_TYPES = ("one_time", "recurring")
PRODUCT_DATA_FIELDS = (
    Param("name", "string", "The new product's name.", required=True, example="Pro plan"),
    Param("active", "boolean", "Whether the product can be bought.", example="true"),
    METADATA,
    Param("statement_descriptor", "string", "Text on the customer's card statement (up to 22 characters).",
          example="PRO PLAN"),
    Param("unit_label", "string", "Label for one unit on receipts and invoices.", example="seat"),
)
PRICE_FIELDS = (
    Param("currency", "string", "Three-letter ISO currency code, lowercase.", required=True, example="usd"),
    Param("unit_amount", "integer", "Price in the currency's smallest unit (cents; yen for jpy).", example="2000"),
    Param("product", "string", "ID of the product this price belongs to.", example="prod_123"),
    Param("product_data", "object", "Create a new product for this price.", fields=PRODUCT_DATA_FIELDS,
          example="name='Pro plan'"),
    Param("recurring", "object", "Billing interval for a recurring price (omit for a one-time price).",
          fields=(Param("interval", "enum", "Billing frequency.", required=True, choices=INTERVALS, example="month"),
                  Param("interval_count", "integer", "Number of intervals between billings.", example="1"),
                  Param("usage_type", "enum", "`licensed` (per seat) or `metered` (per use).",
                        choices=("licensed", "metered"), example="licensed")),
          example="interval=month"),
    Param("nickname", "string", "A brief description of the price, hidden from customers.", example="Monthly"),
    Param("lookup_key", "string", "A stable key to find this price by (see list_prices --lookup_keys).",
          example="pro_monthly"),
    Param("active", "boolean", "Whether the price can be used for new purchases.", example="true"),
    METADATA,
    Param("billing_scheme", "enum", "`per_unit` (unit_amount × quantity) or `tiered`.",
          choices=("per_unit", "tiered"), example="per_unit"),
    Param("tax_behavior", "enum", "Whether the price includes tax.",
          choices=("exclusive", "inclusive", "unspecified"), example="exclusive"),
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
                     fields=PRICE_DATA_FIELDS, example="currency=usd,unit_amount=2000"),
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
    Action("create_price", None, "create", "POST", "/v1/prices", "price",
           "Create a price (one-time, or recurring with --recurring) for a product.", params=PRICE_FIELDS,
           examples=("%stripe create_price --product prod_123 --currency usd --unit_amount 2000 "
                     "--recurring interval=month",),
           tool_name="STRIPE_CREATE_PRICE"),
    Action("get_price", None, "retrieve", "GET", "/v1/prices/{id}", "price",
           "Retrieve one price by ID.", id_param="price", examples=("%stripe get_price price_123",),
           tool_name="STRIPE_GET_PRICE_BY_ID"),
    Action("list_prices", None, "list", "GET", "/v1/prices", "price",
           "List prices, newest first.",
           params=(
               Param("active", "boolean", "Only active (true) or inactive (false) prices.", example="true"),
               CREATED,
               Param("currency", "string", "Only prices in this currency.", example="usd"),
               Param("lookup_keys", "list", "Only prices with these lookup keys (up to 10).",
                     example="pro_monthly,pro_yearly"),
               Param("product", "string", "Only prices of this product.", example="prod_123"),
               Param("recurring", "object", "Only recurring prices with these properties.",
                     fields=(Param("interval", "enum", "Billing frequency.", choices=INTERVALS, example="month"),
                             Param("meter", "string", "The meter of a metered price.", example="mtr_123"),
                             Param("usage_type", "enum", "`licensed` or `metered`.",
                                   choices=("licensed", "metered"), example="licensed")),
                     example="interval=month"),
               Param("type", "enum", "Only one-time or recurring prices.", choices=PRICE_TYPES, example="recurring"),
           ),
           examples=("%stripe list_prices --product prod_123 --active true", "%stripe list_prices --type recurring"),
           tool_name="STRIPE_GET_PRICES"),
)
