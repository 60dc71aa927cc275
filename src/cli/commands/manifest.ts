import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { autoscalerManifest, REFUSED } from '../../policies/autoscaling/index.js';
import { ScenarioError } from '../../run.js';
import { loadScenarioFile } from '../../scenario/index.js';
import { closestNames } from '../../util/closest-names.js';
import { type CatalogArgs, type ConfineArgs, catalogFiles, confineDataPaths } from '../flags.js';
import { type CliIo, UsageError } from '../io.js';

export interface ManifestArgs extends ConfineArgs, CatalogArgs {
  scenario: string;
  variant?: string;
  fleet?: string;
  set?: string[];
}

/**
 * `fleetsim manifest`: each autoscaled fleet's policy as the configuration of the real autoscaler
 * it imitates (an HPA, Knative annotations, AWS step scaling, KEDA cron triggers), so a setting chosen by a sweep or
 * plan (`--set` gives it) can be applied as it was simulated. What the documents cannot carry is
 * written above them as comments.
 */
export async function manifestCommand(args: ManifestArgs, io: CliIo): Promise<number> {
  const file = resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(file, {
    set: args.set,
    confineDataPaths: confineDataPaths(io.cwd, args),
    catalogs: catalogFiles(io.cwd, args),
  });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const variants = loaded.value.variants;
  const variant = args.variant === undefined ? variants[0] : variants.find((v) => v.name === args.variant);
  if (variant === undefined)
    throw new UsageError(
      `--variant "${args.variant}" is not in ${args.scenario}; closest: ${closestNames(
        args.variant ?? '',
        variants.map((v) => v.name),
        { count: 3 },
      ).join(', ')}`,
    );
  const fleets = variant.scenario.fleets;
  if (args.fleet !== undefined && !fleets.some((f) => f.name === args.fleet))
    throw new UsageError(
      `--fleet "${args.fleet}" is not a fleet of variant ${variant.name}; closest: ${closestNames(
        args.fleet,
        fleets.map((f) => f.name),
        { count: 3 },
      ).join(', ')}`,
    );
  const chosen = fleets.filter(
    (f) => f.autoscaling !== null && (args.fleet === undefined || f.name === args.fleet),
  );
  if (chosen.length === 0)
    throw new UsageError(
      `variant ${variant.name} has no autoscaled fleet${args.fleet === undefined ? '' : ` named ${args.fleet}`}: a fixed fleet needs no autoscaler`,
    );
  const parts: string[] = [];
  for (const fleet of chosen) {
    const policy = fleet.autoscaling!;
    const manifest = autoscalerManifest(policy, {
      name: fleet.name,
      minReplicas: fleet.minReplicas,
      maxReplicas: fleet.maxReplicas,
    });
    const heading = `# fleet ${fleet.name} of ${loaded.value.name} (variant ${variant.name}), policy ${policy.policy}`;
    if (manifest === null) {
      parts.push(`${heading}: no real autoscaler configuration to write for this policy\n`);
      continue;
    }
    const notes = manifest.notes.map((note) => `# - ${note}`).join('\n');
    // Said on stderr too: the documents usually go to a file, where a comment is easily missed.
    for (const note of manifest.notes.filter((n) => n.startsWith(REFUSED)))
      io.stderr(`fleetsim: warning: fleet ${fleet.name}: ${note}\n`);
    const documents = manifest.documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
    parts.push(`${heading}\n# as ${manifest.system}\n${notes}\n${documents}`);
  }
  io.stdout(parts.join('---\n'));
  return 0;
}
