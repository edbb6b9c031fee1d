"""Catalog rows for money movement: balance transactions, charges, refunds, payouts."""

from __future__ import annotations

from ..catalog_types import Action, Param
from .shared import CREATED

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
)
