import { US_PER_S } from '../core/time.js';
import type { BillingConfig } from '../scenario/types.js';

/**
 * Seconds billed for one replica that existed `lifetimeUs` microseconds: rounded up to the
 * billing increment, never below the minimum (AWS EC2 and GCP Compute: per second, 60 s minimum).
 */
export function billedSeconds(lifetimeUs: number, billing: BillingConfig): number {
  const incrementUs = Math.round(billing.increment * US_PER_S);
  const rounded = (Math.ceil(lifetimeUs / incrementUs) * incrementUs) / US_PER_S;
  return Math.max(rounded, billing.minimum);
}

export function replicaCostUsd(lifetimeUs: number, billing: BillingConfig, priceUsdPerHour: number): number {
  return (billedSeconds(lifetimeUs, billing) * priceUsdPerHour) / 3600;
}
