import { findTransferPrice, type TransferRoute } from '../hardware/data-transfer.js';
import type { Fleet, Scenario } from '../scenario/types.js';
import { buildRttMatrix } from './network.js';

/** A fleet's place in the RTT matrix: its edge site, or its cloud region. */
export function placeOf(fleet: Fleet): string | undefined {
  return fleet.site ?? fleet.region;
}

/** The catalog provider of a cloud fleet (`aws/g5.xlarge` -> `aws`); null for edge and priced-by-hand fleets. */
function providerOf(fleet: Fleet): string | null {
  if (fleet.site !== null || fleet.instance === null) return null;
  const provider = fleet.instance.split('/')[0];
  return provider === 'edge' ? null : provider;
}

/**
 * Where a cloud fleet's responses go: the origin's region when it is a region of the same
 * provider (a fleet of that provider sits there), otherwise the internet.
 */
export function routeOf(fleet: Fleet, scenario: Scenario): TransferRoute | null {
  const provider = providerOf(fleet);
  if (provider === null || fleet.region === undefined) return null;
  const origin = scenario.network?.origin;
  const originIsOwnRegion =
    origin !== undefined && scenario.fleets.some((f) => providerOf(f) === provider && f.region === origin);
  return { provider, region: fleet.region, destination: originIsOwnRegion ? { region: origin } : 'internet' };
}

export interface PlaceIssue {
  /** Below the scenario root, e.g. ['network', 'rtt'] or ['fleets', 2, 'site']. */
  path: (string | number)[];
  message: string;
}

/** What the loader reports about places, round trips and data-transfer prices of a resolved scenario. */
export function checkPlaces(scenario: Scenario): PlaceIssue[] {
  const issues: PlaceIssue[] = [];
  const { network, dataTransfer } = scenario;
  if (network !== null) {
    const pairs: [string, string][] = [];
    scenario.fleets.forEach((fleet, i) => {
      const place = placeOf(fleet);
      if (place === undefined) {
        issues.push({
          path: ['fleets', i],
          message: 'give the fleet a site (or an instance, whose region places it) for network.rtt',
        });
      } else pairs.push([network.origin, place]);
    });
    const matrix = buildRttMatrix(network.rtt, pairs, network.samePlaceRtt);
    if (!matrix.ok) {
      for (const issue of matrix.errors)
        issues.push({ path: ['network', 'rtt', ...issue.path], message: issue.message });
    }
  }
  if (dataTransfer !== null) {
    scenario.fleets.forEach((fleet, i) => {
      const route = routeOf(fleet, scenario);
      if (route === null) return;
      const price = findTransferPrice(route);
      if (!price.ok)
        issues.push({ path: ['fleets', i, 'region'], message: `data transfer: ${price.message}` });
    });
  }
  return issues;
}
