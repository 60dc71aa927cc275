import { type Catalog, isCalendarDate, MARKETS, resolveInstance } from '../hardware/index.js';
import type { Finding } from './checks.js';

/**
 * A scenario's `as_of` on or after the date of every catalog price its fleets use. Prices are
 * aged from their date to `as_of` (a STALE_PRICE warning past 180 days): an earlier `as_of` gives
 * a price from after the plan's own date a negative age, which no warning would ever flag. The
 * fleet with the newest such price is named, with the first day that would do.
 */
export function checkPriceDates(root: Record<string, unknown>, catalog: Catalog | undefined): Finding[] {
  const asOf = root.as_of;
  if (typeof asOf !== 'string' || !isCalendarDate(asOf) || !Array.isArray(root.fleets)) return [];
  let newest: { fleet: string; instance: string; market: string; region: string; date: string } | undefined;
  root.fleets.forEach((value: unknown, i) => {
    if (typeof value !== 'object' || value === null) return;
    const fleet = value as Record<string, unknown>;
    // A spot price trace replaces the catalog's price, whose date then does not matter.
    if (typeof fleet.instance !== 'string' || fleet.spot_price !== undefined) return;
    const market = MARKETS.find((known) => known === fleet.market);
    const resolved = resolveInstance(fleet.instance, {
      ...(typeof fleet.region === 'string' && { region: fleet.region }),
      ...(market !== undefined && { market }),
      ...(catalog !== undefined && { catalog }),
    });
    // An instance, region or market that does not resolve is reported by the fleet checks.
    if (!resolved.ok || resolved.priceSource.asOf <= (newest?.date ?? asOf)) return;
    newest = {
      fleet: typeof fleet.name === 'string' ? fleet.name : `#${i + 1}`,
      instance: fleet.instance,
      market: resolved.market,
      region: resolved.region,
      date: resolved.priceSource.asOf,
    };
  });
  if (newest === undefined) return [];
  return [
    {
      code: 'INVALID_VALUE',
      path: ['as_of'],
      message: `${asOf} is before ${newest.date}, the date of the ${newest.market} price of ${newest.instance} in ${newest.region} that fleet ${newest.fleet} uses: prices are aged from their date to as_of, so give ${newest.date} or a later day`,
    },
  ];
}
