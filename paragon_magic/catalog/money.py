"""Catalog rows for money movement: balance transactions, charges, refunds, payouts."""

from __future__ import annotations

from ..catalog_types import Action, Param
from .shared import CREATED, timestamp_range

# Every balance transaction type in the Stripe API reference (stripe-python 16.1 BalanceTransaction.type).
BALANCE_TRANSACTION_TYPES = (
    "adjustment", "advance", "advance_funding", "anticipation_repayment", "application_fee",
    "application_fee_refund", "charge", "climate_order_purchase", "climate_order_refund",
    "connect_collection_transfer", "contribution", "fee_credit_funding", "inbound_transfer",
    "inbound_transfer_reversal", "issuing_authorization_hold", "issuing_authorization_release",
    "issuing_dispute", "issuing_dispute_provisional_credit", "issuing_dispute_provisional_credit_reversal",
    "issuing_transaction", "obligation_outbound", "obligation_reversal_inbound", "payment",
    "payment_failure_refund", "payment_network_reserve_hold", "payment_network_reserve_release",
    "payment_refund", "payment_reversal", "payment_unreconciled", "payout", "payout_cancel", "payout_failure",
    "payout_minimum_balance_hold", "payout_minimum_balance_release", "refund", "refund_failure",
    "reserve_hold", "reserve_release", "reserve_transaction", "reserved_funds", "stripe_balance_payment_debit",
    "stripe_balance_payment_debit_reversal", "stripe_fee", "stripe_fx_fee", "tax_fee", "tax_fund", "topup",
    "topup_reversal", "transfer", "transfer_cancel", "transfer_failure", "transfer_refund",
)

ROWS = (
    Action("list_balance_transactions", "STRIPE_GET_BALANCE_TRANSACTIONS", "list", "GET",
           "/v1/balance_transactions", "balance_transaction",
           "List balance transactions (money in and out of your Stripe balance), newest first.",
           params=(
               CREATED,
               Param("currency", "string", "Only transactions in this currency.", example="usd"),
               Param("payout", "string", "Only transactions paid out in this payout.", example="po_123"),
               Param("source", "string", "Only transactions caused by this object (charge, refund, ...).",
                     example="ch_123"),
               Param("type", "enum", "Only transactions of this type.", choices=BALANCE_TRANSACTION_TYPES,
                     example="charge"),
           ),
           examples=("%stripe list_balance_transactions --type charge --created-after 2024-01-01",)),
    Action("list_charges", None, "list", "GET", "/v1/charges", "charge",
           "List charges (card and other payments), newest first.",
           params=(
               CREATED,
               Param("customer", "string", "Only this customer's charges.", example="cus_123"),
               Param("payment_intent", "string", "Only charges created by this PaymentIntent.", example="pi_123"),
               Param("transfer_group", "string", "Only charges in this transfer group.", example="group_123"),
           ),
           examples=("%stripe list_charges --created-after 2026-01-01 --limit 200",
                     "%stripe list_charges --customer cus_123"),
           tool_name="STRIPE_GET_CHARGES"),
    Action("get_charge", None, "retrieve", "GET", "/v1/charges/{id}", "charge",
           "Retrieve one charge by ID.", id_param="charge",
           examples=("%stripe get_charge ch_123 --expand balance_transaction",), tool_name="STRIPE_GET_CHARGE_BY_ID"),
    Action("list_refunds", None, "list", "GET", "/v1/refunds", "refund",
           "List refunds, newest first.",
           params=(
               Param("charge", "string", "Only refunds of this charge.", example="ch_123"),
               CREATED,
               Param("payment_intent", "string", "Only refunds of this PaymentIntent.", example="pi_123"),
           ),
           examples=("%stripe list_refunds --charge ch_123", "%stripe list_refunds --created-after 2026-01-01"),
           tool_name="STRIPE_GET_REFUNDS"),
    Action("list_payouts", None, "list", "GET", "/v1/payouts", "payout",
           "List payouts to your bank account, newest first.",
           params=(
               timestamp_range("arrival_date", "Only payouts arriving in this range"),
               CREATED,
               Param("destination", "string", "Only payouts to this external account.", example="ba_123"),
               Param("status", "enum", "Only payouts with this status.",
                     choices=("pending", "paid", "failed", "canceled", "in_transit"), example="paid"),
           ),
           examples=("%stripe list_payouts --status paid",), tool_name="STRIPE_GET_PAYOUTS"),
)
