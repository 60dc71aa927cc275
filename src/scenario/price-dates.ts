import { isCalendarDate } from '../hardware/index.js';
import type { Finding } from './checks.js';

/** A fleet priced from the catalog, and the date of that price. */
export interface PricedFleet {
  fleet: string;
  instance: string;
  market: string;
  region: string;
  date: string;
}

/**
 * A scenario's `as_of` on or after the date of every catalog price its fleets use. Prices are
 * aged from their date to `as_of` (a STALE_PRICE warning past 180 days): an earlier `as_of` gives
 * a price from after the plan's own date a negative age, which no warning would ever flag. The
 * fleet with the newest such price is named, with the first day that would do.
 */
export function checkPriceDates(asOf: unknown, priced: readonly PricedFleet[]): Finding[] {
  if (typeof asOf !== 'string' || !isCalendarDate(asOf)) return [];
  const newest = priced.reduce<PricedFleet | undefined>(
    (found, fleet) => (fleet.date > (found?.date ?? asOf) ? fleet : found),
    undefined,
  );
  if (newest === undefined) return [];
  return [
    {
      code: 'INVALID_VALUE',
      path: ['as_of'],
      message: `${asOf} is before ${newest.date}, the date of the ${newest.market} price of ${newest.instance} in ${newest.region} that fleet ${newest.fleet} uses: prices are aged from their date to as_of, so give ${newest.date} or a later day`,
    },
  ];
}
