/**
 * What a simulated autoscaler looks like as the configuration of the real system it imitates, so a
 * setting chosen by a sweep or plan can be applied: `target-tracking` as a Kubernetes HPA,
 * `concurrency` as Knative annotations, `queue-depth` as an AWS step-scaling policy, `scheduled`
 * as KEDA cron triggers.
 */

/** The deployment a manifest scales: the fleet's name and replica bounds. */
export interface ManifestTarget {
  name: string;
  minReplicas: number;
  maxReplicas: number;
}

export interface AutoscalerManifest {
  /** What the documents configure, e.g. `Kubernetes HorizontalPodAutoscaler (autoscaling/v2)`. */
  system: string;
  /** YAML documents (or one JSON document) as plain objects. */
  documents: Record<string, unknown>[];
  /** Settings the documents cannot carry, and what a reader must provide or check. */
  notes: string[];
}

/**
 * A Kubernetes quantity: whole numbers as they are, fractions in thousandths (`0.6` is `600m`,
 * the form `kubectl` prints for averageValue targets) or, finer than that, in millionths (`400u`).
 */
export function quantity(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const milli = value * 1000;
  if (Math.abs(milli - Math.round(milli)) < 1e-9 * Math.max(1, milli)) return `${Math.round(milli)}m`;
  return `${Math.round(value * 1e6)}u`;
}

/** Whole seconds, as the APIs take them; a note says when rounding changed the value. */
export function wholeSeconds(seconds: number, what: string, notes: string[]): number {
  const whole = Math.round(seconds);
  if (whole !== seconds)
    notes.push(`${what}: ${seconds} s rounded to ${whole} s (the API takes whole seconds)`);
  return whole;
}

/** A Go duration string (`90s`), as Knative's annotations take them. */
export function goDuration(seconds: number): string {
  return `${Number(seconds.toPrecision(12))}s`;
}

/**
 * A note for a setting the real system's API refuses: the document still says what was simulated,
 * and the note says that applying it will fail and why, so nobody takes it for a deployable one.
 */
export function refusedNote(setting: string, accepted: string): string {
  return `${REFUSED}: ${setting}, where the API takes ${accepted}: applying this document fails`;
}

/** How the note of a setting the real API refuses starts. */
export const REFUSED = 'REFUSED';
