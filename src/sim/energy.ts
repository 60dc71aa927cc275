import { type EnergyData, isCloudInstance, shippedEnergyData } from '../hardware/index.js';
import type { FleetEnergy } from '../metrics/index.js';
import type { Fleet } from '../scenario/types.js';
import { shippedAccelerators } from '../serving/llm/index.js';

/**
 * The energy estimate of a run (docs/energy.md): each replica draws its idle power for every
 * second it is live and the difference to its busy power for the share of that time it works,
 * linear in between; the facility adds its PUE; the grid's carbon intensity turns kWh into CO2e.
 */

/** IT power of one replica, watts, and what the figures rest on. */
interface ReplicaPower {
  idleW: number;
  busyW: number;
  source: string;
  assumptions: string[];
}

const BYTES_PER_GIB = 1024 ** 3;

const LINEAR =
  'power is linear in the busy share: idle + (busy - idle) x the share of live time a replica works; an LLM ' +
  'replica works while an iteration runs and then draws its full busy power whatever its batch, so small-batch ' +
  'decode, which is memory-bound and draws less, is overstated: an upper bound for lightly loaded LLM fleets';
const LIVE_TIME = 'a replica draws power from launch (its boot included) until it is gone';

function providerOf(fleet: Fleet): string | null {
  return fleet.instance === null ? null : fleet.instance.split('/')[0];
}

/** Host CPU and memory of one replica: CCF per-vCPU coefficients, the CPU as busy as the replica. */
function hostPower(fleet: Fleet, data: EnergyData): ReplicaPower | null {
  const vcpus = fleet.hardware?.vcpus;
  if (vcpus === undefined) return null;
  const provider = providerOf(fleet);
  const own = provider === null ? undefined : data.hostByProvider.get(provider);
  const host = own ?? data.hostDefault;
  const memoryGb = ((fleet.hardware?.memoryGiB ?? 0) * BYTES_PER_GIB) / 1e9;
  const memoryW = memoryGb * data.memoryWattsPerGb.value;
  return {
    idleW: vcpus * host.minWattsPerVcpu + memoryW,
    busyW: vcpus * host.maxWattsPerVcpu + memoryW,
    source: `${vcpus} vCPUs at ${host.minWattsPerVcpu}-${host.maxWattsPerVcpu} W${memoryGb > 0 ? ` + ${round(memoryGb)} GB memory at ${data.memoryWattsPerGb.value} W/GB` : ''}`,
    assumptions: [
      `host power from Cloud Carbon Footprint's per-vCPU coefficients (${own ? `${provider}: ${host.source}` : host.source}); the host CPU is taken to be as busy as the replica`,
      ...(memoryGb > 0
        ? [
            `memory draws ${data.memoryWattsPerGb.value} W per GB whenever on (${data.memoryWattsPerGb.source})`,
          ]
        : []),
    ],
  };
}

/** One replica's IT power, or why there is none. */
function replicaPower(fleet: Fleet, data: EnergyData): ReplicaPower | { missing: string } {
  const given = fleet.energy.power;
  if (given !== undefined)
    return { idleW: given.idleW, busyW: given.busyW, source: 'the scenario (energy.power)', assumptions: [] };
  const accelerator = fleet.hardware?.accelerators ?? null;
  const spec = accelerator === null ? undefined : shippedAccelerators().get(accelerator.model);
  if (fleet.owned !== undefined) {
    // An owned device's catalog power is its whole draw at full load (the SoC or the box).
    const power = spec?.power;
    const idleShare =
      power !== undefined && !('missing' in power)
        ? { share: power.idleWatts / power.busyWatts, basis: `${spec!.id}'s idle-to-busy ratio` }
        : {
            share: data.hostDefault.minWattsPerVcpu / data.hostDefault.maxWattsPerVcpu,
            basis: "the default host's min-to-max ratio",
          };
    const busyW = fleet.owned.powerWatts;
    return {
      idleW: busyW * idleShare.share,
      busyW,
      source: `${fleet.instance}: ${busyW} W at full load (the catalog's device power)`,
      assumptions: [
        `${fleet.instance} idles at ${round(idleShare.share * 100)} % of its full-load power (${idleShare.basis}), an assumption; its host is inside that figure`,
      ],
    };
  }
  const host = hostPower(fleet, data);
  if (accelerator === null) {
    if (host === null)
      return {
        missing:
          fleet.instance === null
            ? 'no hardware to estimate its power from (price_per_hour without hardware): give energy.power'
            : `${fleet.instance} states no vCPUs: give energy.power`,
      };
    return host;
  }
  if (spec?.power === undefined)
    return {
      missing: `accelerator ${accelerator.model} is not in pricing/accelerators.yaml: give energy.power`,
    };
  if ('missing' in spec.power)
    return { missing: `no power figure for ${spec.id} (${spec.power.missing}): give energy.power` };
  const { idleWatts, busyWatts, idleBasis } = spec.power;
  const count = accelerator.count;
  const hostW = host ?? { idleW: 0, busyW: 0, source: '', assumptions: [] };
  return {
    idleW: count * idleWatts + hostW.idleW,
    busyW: count * busyWatts + hostW.busyW,
    source: `${count} x ${spec.id} at ${idleWatts}-${busyWatts} W${host ? ` + ${host.source}` : ''}`,
    assumptions: [
      `${spec.id} draws its datasheet maximum (${busyWatts} W) while busy`,
      ...(idleBasis === 'assumption'
        ? [
            `${spec.id} idles at ${idleWatts} W, an assumption (11.5 % of its maximum; see pricing/accelerators.yaml)`,
          ]
        : []),
      ...hostW.assumptions,
      ...(host === null
        ? [`${fleet.instance ?? fleet.name} states no host: only its accelerators are counted`]
        : []),
    ],
  };
}

function pueOf(fleet: Fleet, data: EnergyData): { pue: number; note: string } {
  if (fleet.energy.pue !== undefined) return { pue: fleet.energy.pue, note: 'PUE from the scenario' };
  const provider = providerOf(fleet);
  const key =
    provider !== null && isCloudInstance(fleet.instance as string)
      ? provider
      : fleet.owned !== undefined
        ? 'edge'
        : 'on_prem';
  const entry = data.pue.get(key);
  if (entry === undefined) throw new Error(`pricing/carbon.yaml has no pue.${key}`);
  return { pue: entry.pue, note: `PUE ${entry.pue} (${key}, ${entry.year}: ${entry.source})` };
}

function intensityOf(
  fleet: Fleet,
  data: EnergyData,
): { gPerKwh: number; note: string } | { missing: string } {
  if (fleet.energy.carbonIntensity !== undefined)
    return { gPerKwh: fleet.energy.carbonIntensity, note: 'carbon intensity from the scenario' };
  const provider = providerOf(fleet);
  if (provider === null || fleet.region === undefined)
    return { missing: 'no region to take a grid carbon intensity from: give energy.carbon_intensity' };
  const entry = data.grid.get(provider)?.get(fleet.region);
  if (entry === undefined) {
    const why = data.missing.get(`${provider}/${fleet.region}`);
    return {
      missing: `no grid carbon intensity for ${provider} region ${fleet.region} in pricing/carbon.yaml${why ? ` (${why})` : ''}: give energy.carbon_intensity`,
    };
  }
  return {
    gPerKwh: entry.gPerKwh,
    note: `${provider} ${fleet.region}: ${entry.gPerKwh} gCO2e/kWh, a ${entry.year} annual location-based average (${entry.source})`,
  };
}

export interface FleetEnergyInput {
  fleet: Fleet;
  /** Live replica time, seconds. */
  replicaSeconds: number;
  /** Replica time spent working, seconds (at most `replicaSeconds`). */
  busySeconds: number;
}

export interface FleetEnergyEstimate {
  result: FleetEnergy;
  assumptions: string[];
  warnings: string[];
}

export function fleetEnergy(
  { fleet, replicaSeconds, busySeconds }: FleetEnergyInput,
  data: EnergyData = shippedEnergyData(),
): FleetEnergyEstimate {
  const busy = Math.min(busySeconds, replicaSeconds);
  const busyShare = replicaSeconds > 0 ? busy / replicaSeconds : 0;
  const power = replicaPower(fleet, data);
  const { pue, note: pueNote } = pueOf(fleet, data);
  const intensity = intensityOf(fleet, data);
  const cloud = fleet.instance !== null && isCloudInstance(fleet.instance);
  const pricePerKwh = cloud ? null : (fleet.energy.pricePerKwh ?? fleet.owned?.usdPerKwh ?? null);
  const warnings: string[] = [];
  const assumptions: string[] = [];
  let kwh: number | null = null;
  let meanPowerW: number | null = null;
  if ('missing' in power) {
    warnings.push(`fleet ${fleet.name}: no energy estimate, ${power.missing}`);
    if (pricePerKwh !== null)
      warnings.push(
        `fleet ${fleet.name}: its energy cost is not counted (no power figure to bill at ${pricePerKwh} USD/kWh)`,
      );
  } else {
    const itWattSeconds = power.idleW * replicaSeconds + (power.busyW - power.idleW) * busy;
    kwh = (itWattSeconds * pue) / 3.6e6;
    meanPowerW = replicaSeconds > 0 ? itWattSeconds / replicaSeconds : 0;
    assumptions.push(LINEAR, LIVE_TIME, ...power.assumptions, pueNote);
  }
  if ('missing' in intensity) warnings.push(`fleet ${fleet.name}: no CO2e, ${intensity.missing}`);
  else if (kwh !== null) assumptions.push(intensity.note);
  if (cloud)
    assumptions.push(
      'energy of cloud instances is paid inside their hourly price: no energy cost line is added for them',
    );
  const co2eKg = kwh === null || 'missing' in intensity ? null : (kwh * intensity.gPerKwh) / 1000;
  return {
    result: {
      kwh,
      co2e_kg: co2eKg,
      busy_share: busyShare,
      mean_it_power_w: meanPowerW,
      power: 'missing' in power ? null : power.source,
      pue,
      carbon_intensity_g_per_kwh: 'missing' in intensity ? null : intensity.gPerKwh,
      price_per_kwh_usd: pricePerKwh,
      cost_usd: pricePerKwh === null || kwh === null ? null : kwh * pricePerKwh,
    },
    assumptions,
    warnings,
  };
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}
