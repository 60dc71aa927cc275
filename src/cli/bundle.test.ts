import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './app.js';
import type { CliIo } from './io.js';

/**
 * The bundled command line (scripts/bundle-cli.mjs, what `npm run build` leaves in dist/cli/)
 * against the modules it is made of, run here from source: the same files, byte for byte, the
 * same messages and exit codes. The bundle is built into a folder of its own (beside links to what
 * it reads at run time), so this suite neither races other suites that build dist/ nor depends on
 * a stale one.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let home: string;
let bundled: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'fleetsim-bundle-'));
  for (const entry of ['package.json', 'node_modules', 'pricing', 'scenarios']) {
    symlinkSync(join(ROOT, entry), join(home, entry));
  }
  const dist = join(home, 'dist');
  // Type errors elsewhere in a work tree still emit JavaScript; the bundle needs tsc's worker.js.
  spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json', '--outDir', dist], { cwd: ROOT });
  const bundle = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle-cli.mjs'), '--dist', dist], {
    encoding: 'utf8',
  });
  if (bundle.status !== 0) throw new Error(`bundling failed: ${bundle.stderr}`);
  bundled = join(dist, 'cli/main.js');
}, 180_000);

const QUEUE = `name: bundle-check
seed: 3
duration: 30s
workload:
  arrivals: { poisson: { rate: 6 } }
  output_tokens: { uniform: { min: 10, max: 190 } }
fleets:
  - name: web
    replicas: 8
    concurrency: 1
    price_per_hour: 1
    service_time: "0.5s + 5ms * output_tokens"
variants:
  - { name: fewer, set: { fleets.0.replicas: 7 } }
`;

function bundledCli(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [bundled, ...args], { cwd, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function sourceCli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** Every file below `dir`, by its path relative to `dir`, with its bytes. */
function files(dir: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      found.set(relative(dir, path), readFileSync(path));
    }
  }
  return found;
}

describe('the bundled command line', () => {
  it('writes the files the unbundled modules write, byte for byte: expressions, charts, replications on workers', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fleetsim-bundle-run-'));
    writeFileSync(join(cwd, 'queue.yaml'), QUEUE);
    const args = (out: string) => [
      'run',
      'queue.yaml',
      '--out',
      out,
      '--replications',
      '2',
      '--workers',
      '2',
    ];
    const fromBundle = bundledCli(args('bundled'), cwd);
    const fromSource = await sourceCli(args('source'), cwd);
    expect(fromBundle.code).toBe(0);
    expect(fromSource.code).toBe(0);
    expect(fromBundle.stdout).toBe(fromSource.stdout);
    // The same lines, but for how long the simulations took.
    const untimed = (text: string) =>
      text
        .replaceAll(/in \d+\.\d+ s/g, 'in _ s')
        .replaceAll('bundled/', 'OUT/')
        .replaceAll('source/', 'OUT/');
    expect(untimed(fromBundle.stderr)).toBe(untimed(fromSource.stderr));
    const bundledFiles = files(join(cwd, 'bundled'));
    const sourceFiles = files(join(cwd, 'source'));
    expect([...bundledFiles.keys()].sort()).toEqual([...sourceFiles.keys()].sort());
    expect(bundledFiles.has('charts/latency-cdf.svg')).toBe(true);
    expect(bundledFiles.has('replications.json')).toBe(true);
    for (const [path, bytes] of sourceFiles) expect(bundledFiles.get(path)?.equals(bytes), path).toBe(true);
  }, 180_000);

  it('says a user error in one located line with exit code 2, as the modules do', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fleetsim-bundle-error-'));
    writeFileSync(
      join(cwd, 'typo.yaml'),
      QUEUE.replace('    concurrency: 1', '    concurrency: 1\n    colour: red'),
    );
    const fromBundle = bundledCli(['run', 'typo.yaml', '--out', 'out'], cwd);
    const fromSource = await sourceCli(['run', 'typo.yaml', '--out', 'out'], cwd);
    expect(fromBundle.code).toBe(2);
    expect(fromBundle.stderr).toMatch(/^typo\.yaml:11:5: fleets\[0\]\.colour: unknown key[^\n]*\n$/);
    expect(fromBundle.stderr).toBe(fromSource.stderr);
    writeFileSync(join(cwd, 'queue.yaml'), QUEUE);
    const override = ['run', 'queue.yaml', '--set', 'fleets.0.replicaz=3', '--out', 'out'];
    const overrideFromBundle = bundledCli(override, cwd);
    expect(overrideFromBundle.code).toBe(2);
    expect(overrideFromBundle.stderr).toMatch(
      /^--set:1:1: fleets\.0\.replicaz: unknown key "replicaz" in fleets\[0\]; did you mean "replicas"\?\n$/,
    );
    expect(overrideFromBundle.stderr).toBe((await sourceCli(override, cwd)).stderr);
    const flag = bundledCli(['run', 'typo.yaml', '--seedd', '3'], cwd);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('fleetsim: unknown option --seedd; did you mean --seed?\n');
  }, 60_000);

  it('prints the help, version and JSON Schema the modules print', async () => {
    // The bundle carries the schema converted when it was built; the modules convert it here.
    for (const args of [
      ['--version'],
      ['--help'],
      ['run', '--help'],
      ['catalog', 'import', '--help'],
      ['schema'],
    ]) {
      const fromBundle = bundledCli(args, home);
      const fromSource = await sourceCli(args, home);
      expect(fromBundle.code, args.join(' ')).toBe(0);
      expect(fromBundle.stdout, args.join(' ')).toBe(fromSource.stdout);
    }
    expect(bundledCli(['--version'], home).stdout).toBe(
      `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`,
    );
    const chunks = readdirSync(join(home, 'dist/cli')).filter((name) => name.endsWith('.js'));
    const carrying = chunks.filter((name) =>
      /PREBUILT_SCENARIO_JSON_SCHEMA = \{ "version": \d+, "text": '\{"\$schema"/.test(
        readFileSync(join(home, 'dist/cli', name), 'utf8'),
      ),
    );
    expect(carrying).toHaveLength(1);
  }, 60_000);
});
