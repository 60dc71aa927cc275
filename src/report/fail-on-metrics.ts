/**
 * `--fail-on` names for the figures a threshold can hold: `cost` is the cost per month (of a
 * fixed fleet, its size times its price; of an autoscaled one, its mean spend).
 */
export const FAIL_ON_METRICS = {
  cost: 'cost_usd_per_month',
  'cost-per-1m-tokens': 'cost_per_1m_tokens_usd',
  'cost-per-1k-requests': 'cost_per_1k_requests_usd',
  p50: 'latency_s.p50',
  p99: 'latency_s.p99',
  'ttft-p50': 'ttft_s.p50',
  'ttft-p99': 'ttft_s.p99',
  'tpot-p50': 'tpot_s.p50',
  'tpot-p99': 'tpot_s.p99',
} as const;
