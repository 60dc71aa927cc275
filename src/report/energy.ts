import { formatNumber, formatPercent, formatUsd } from '../core/format.js';
import type { EnergyResult } from '../metrics/index.js';
import { escapeMarkdown } from './format.js';
import type { VariantSummary } from './summary.js';

const fmt = (value: number | null | undefined) => formatNumber(value ?? null, 3);

/** `0.0963 kWh, 0.0358 kg CO2e; per 1k requests ...; per 1M tokens ...; electricity billed apart $x`. */
export function energySentence(energy: EnergyResult): string {
  const total =
    energy.kwh === null
      ? 'unknown (see the energy warnings)'
      : `${fmt(energy.kwh)} kWh, ${energy.co2e_kg === null ? 'CO2e unknown' : `${fmt(energy.co2e_kg)} kg CO2e`}`;
  const per = (label: string, kwh: number | null | undefined, co2e: number | null | undefined) =>
    kwh === undefined || kwh === null
      ? []
      : [
          `${fmt(kwh)} kWh${co2e === null || co2e === undefined ? '' : ` and ${fmt(co2e)} kg CO2e`} per ${label}`,
        ];
  const parts = [
    total,
    ...per('1k requests', energy.kwh_per_1k_requests, energy.co2e_kg_per_1k_requests),
    ...per('1M tokens', energy.kwh_per_1m_tokens, energy.co2e_kg_per_1m_tokens),
    ...(energy.cost_usd > 0 ? [`electricity billed apart ${formatUsd(energy.cost_usd)}`] : []),
  ];
  return parts.join('; ');
}

/** Terminal lines after the verdicts: one per variant, then what the estimate lacks. */
export function energyLines(variants: readonly VariantSummary[]): string[] {
  const withEnergy = variants.filter((v) => v.energy !== undefined);
  if (withEnergy.length === 0) return [];
  const width = Math.max(...withEnergy.map((v) => v.name.length));
  return [
    'Energy (an estimate from datasheet power, utilization, PUE and grid intensity; assumptions in summary.json and docs/energy.md):',
    ...withEnergy.map((v) => `  ${v.name.padEnd(width)}  ${energySentence(v.energy as EnergyResult)}`),
    ...[...new Set(withEnergy.flatMap((v) => (v.energy as EnergyResult).warnings))].map((w) => `  ${w}`),
  ];
}

/** summary.md: the energy of one variant, per fleet, and what it rests on. */
export function energyMarkdown(v: VariantSummary): string[] {
  const energy = v.energy;
  if (energy === undefined) return [];
  const fleets = Object.entries(energy.by_fleet)
    .map(
      ([fleet, e]) =>
        `${escapeMarkdown(fleet)} ${e.kwh === null ? 'unknown' : `${fmt(e.kwh)} kWh`} at ${formatPercent(e.busy_share)} busy, PUE ${e.pue}${e.carbon_intensity_g_per_kwh === null ? '' : `, ${e.carbon_intensity_g_per_kwh} gCO2e/kWh`}`,
    )
    .join('; ');
  return [
    `- Energy (estimate): ${escapeMarkdown(energySentence(energy))} (${fleets}). It rests on unvalidated assumptions listed in summary.json (\`energy.assumptions\`); see docs/energy.md.`,
    ...energy.warnings.map((warning) => `- **Energy:** ${escapeMarkdown(warning)}.`),
  ];
}
