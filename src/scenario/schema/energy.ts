/** `energy:` at the scenario and at a fleet: what the energy estimate takes in place of the catalog's figures. */

import * as z from 'zod';
import { expected, NonNegativeNumber, Power } from '../../core/schema-values.js';
import type { EnergySettings } from '../types.js';

// Schemas under z.lazy are built on first use: most scenarios leave `energy` out, and building zod
// schemas is a noticeable part of what a short `fleetsim run` waits for.

const fields = {
  price_per_kwh: NonNegativeNumber.optional().meta({
    description:
      'Electricity price, USD per kWh, for fleets not rented from a cloud provider (owned edge devices, on-prem ' +
      "instances of a user catalog, `price_per_hour` fleets): their energy is then billed as its own cost line, and an owned device's " +
      'catalog price drops its built-in electricity. Cloud instances (aws, gcp, azure) pay for energy inside their price, so it ' +
      "is not added to them. Default: an owned device's catalog price per kWh; otherwise no energy cost line.",
    unit: 'USD/kWh',
  }),
  pue: z
    .number(expected('a PUE of at least 1'))
    .min(1, expected('a PUE of at least 1'))
    .max(5, expected('a PUE of at most 5'))
    .optional()
    .describe(
      "Power usage effectiveness: facility energy over IT energy. Default: the provider's published figure " +
        '(pricing/carbon.yaml), 1.0 for owned edge devices, 1.57 for other data centers.',
    ),
  carbon_intensity: NonNegativeNumber.optional().meta({
    description:
      "Grid carbon intensity, gCO2e per kWh. Default: the region's figure in pricing/carbon.yaml (none: no CO2e, with a warning).",
    unit: 'gCO2e/kWh',
  }),
};

function settings(raw: {
  price_per_kwh?: number | undefined;
  pue?: number | undefined;
  carbon_intensity?: number | undefined;
  power?: { idle: number; busy: number } | undefined;
}): EnergySettings {
  return {
    ...(raw.price_per_kwh !== undefined && { pricePerKwh: raw.price_per_kwh }),
    ...(raw.pue !== undefined && { pue: raw.pue }),
    ...(raw.carbon_intensity !== undefined && { carbonIntensity: raw.carbon_intensity }),
    ...(raw.power !== undefined && { power: { idleW: raw.power.idle, busyW: raw.power.busy } }),
  };
}

export const EnergySchema = z.lazy(() =>
  z
    .object(fields)
    .strict()
    .transform(settings)
    .describe(
      "The energy estimate's inputs for every fleet (a fleet's own `energy:` wins key by key). See docs/energy.md.",
    ),
);

export const FleetEnergySchema = z.lazy(() =>
  z
    .object({
      ...fields,
      power: z
        .object({
          idle: Power.describe('Draw of one replica with nothing running (IT power, before PUE).'),
          busy: Power.describe('Draw of one replica while it works (IT power, before PUE).'),
        })
        .strict()
        .refine((power) => power.idle <= power.busy, 'expected idle at most busy')
        .optional()
        .describe(
          "One replica's whole draw (accelerators and host), replacing the catalog's figures: for hardware it lacks, " +
            'or measured figures.',
        ),
    })
    .strict()
    .transform(settings)
    .describe("This fleet's energy inputs, key by key over the scenario's `energy:`. See docs/energy.md."),
);
