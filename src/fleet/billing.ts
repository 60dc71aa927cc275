import type { BillingConfig } from '../scenario/types.js';

/**
 * Seconds billed for one replica that existed `lifetimeUs` microseconds: rounded up to the
 * billing increment, never below the minimum (AWS EC2 and GCP Compute: per second, 60 s minimum).
 */
export function billedSeconds(lifetimeUs: number, billing: BillingConfig): number {
  const incrementUs = Math.round(billing.increment * 1e6);
  const rounded = (Math.ceil(lifetimeUs / incrementUs) * incrementUs) / 1e6;
  return Math.max(rounded, billing.minimum);
}

export function replicaCostUsd(lifetimeUs: number, billing: BillingConfig, priceUsdPerHour: number): number {
  return (billedSeconds(lifetimeUs, billing) * priceUsdPerHour) / 3600;
}
