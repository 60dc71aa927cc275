import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fleetsimVersion } from '../core/version.js';
import { PRICING_DIR, PROVIDERS } from '../hardware/catalog.js';
import { DATA_TRANSFER_FILE } from '../hardware/data-transfer.js';
import { dataFiles } from '../scenario/confine.js';
import { RunInputError, type Scenario } from '../scenario/types.js';
import { ACCELERATORS_FILE } from '../serving/llm/accelerator.js';

/**
 * Every file a run of `scenario` reads besides the scenario itself: its data files (traces,
 * step-time profiles, empirical data, capacity and price traces) and the pricing files its prices
 * and hardware come from, user catalog files included. Sorted, each once.
 */
export function inputFiles(scenario: Scenario): string[] {
  const files: string[] = [
    ACCELERATORS_FILE,
    DATA_TRANSFER_FILE,
    ...dataFiles(scenario),
    ...(scenario.catalogFiles ?? []),
  ];
  for (const fleet of scenario.fleets) {
    const provider = fleet.instance?.split('/')[0];
    // A provider only a user catalog file has is priced from that file, listed above.
    if (provider !== undefined && (PROVIDERS as readonly string[]).includes(provider))
      files.push(join(PRICING_DIR, `${provider}.yaml`));
  }
  return [...new Set(files)].sort();
}

/** Content hashes by path, valid while the file keeps its size and modification time. */
const hashes = new Map<string, { size: number; mtimeMs: number; hash: Promise<string> }>();

function unreadable(path: string, error: unknown): RunInputError {
  const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message;
  return new RunInputError(`${path}: cannot read an input of the scenario (${reason})`);
}

/** SHA-256 of a file's contents, read in chunks so a large trace never sits in memory whole. */
export async function fileHash(path: string): Promise<string> {
  let info: { size: number; mtimeMs: number };
  try {
    info = await stat(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  const known = hashes.get(path);
  if (known !== undefined && known.size === info.size && known.mtimeMs === info.mtimeMs) return known.hash;
  const hash = new Promise<string>((resolve, reject) => {
    const digest = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => digest.update(chunk))
      .on('error', (error) => reject(unreadable(path, error)))
      .on('end', () => resolve(digest.digest('hex')));
  });
  hashes.set(path, { size: info.size, mtimeMs: info.mtimeMs, hash });
  hash.catch(() => {
    if (hashes.get(path)?.hash === hash) hashes.delete(path);
  });
  return hash;
}

/**
 * One hash of the fleetsim version, of `study` (resolved scenarios and whatever else decides the
 * results) and of the contents of every input file of `scenarios`. Each file path in `study` is
 * replaced by its file's hash, so which file plays which part counts but where the files are does
 * not: shards run on machines with other folders, or a package installed elsewhere, agree as long
 * as every file holds the same bytes.
 */
export async function studyDigest(scenarios: readonly Scenario[], study: unknown): Promise<string> {
  const paths = [...new Set(scenarios.flatMap(inputFiles))];
  const byPath = new Map(await Promise.all(paths.map(async (path) => [path, await fileHash(path)] as const)));
  const text = stableJson(
    { version: fleetsimVersion(), study, files: [...byPath.values()].sort() },
    (item) => (typeof item === 'string' && byPath.has(item) ? `sha256:${byPath.get(item)}` : item),
  );
  return createHash('sha256').update(text).digest('hex');
}

/** JSON of plain data with non-finite numbers (an unbounded queue's Infinity) kept distinct from null. */
function stableJson(value: unknown, map: (item: unknown) => unknown = (item) => item): string {
  return JSON.stringify(value, (_, item) =>
    typeof item === 'number' && !Number.isFinite(item) ? String(item) : map(item),
  );
}
