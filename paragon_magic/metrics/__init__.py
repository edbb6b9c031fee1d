"""Finance answers by Stripe's own definitions, as pure functions over the frames (no I/O of their own).

* :func:`mrr` — MRR now or at a date, per currency / product / price / customer.
* :func:`mrr_history` — MRR per month with the roll-forward (new, expansion, reactivation, contraction,
  churned; exact), subscribers and churn rates; ``.plot()``. :func:`change_log` — per customer.
* :func:`churn` — subscriber churn rate (Stripe's 30-day definition), MRR churned, voluntary vs involuntary.
* :func:`cohorts` — signup-month retention (subscribers and MRR); ``.plot()`` heatmap.
  :func:`trial_conversion`.
* :func:`net_revenue` — charges, refunds, disputes, fees and net from balance transactions;
  :func:`rates_from_balance_transactions` for ``df.stripe.convert("usd", rates=...)``.

Amounts are in minor units and declared as amounts: ``result.stripe.to_major()`` converts them.
"""

from .churn import INVOLUNTARY, churn, cohorts, trial_conversion
from .frames import CohortTable, MrrHistory
from .money import net_revenue, rates_from_balance_transactions
from .mrr import change_log, mrr, mrr_history
from .plots import plot_cohorts, plot_mrr_history

__all__ = ["mrr", "mrr_history", "change_log", "churn", "cohorts", "trial_conversion", "net_revenue",
           "rates_from_balance_transactions", "MrrHistory", "CohortTable", "plot_mrr_history", "plot_cohorts",
           "INVOLUNTARY"]
