import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/cli');

async function cli(args: string[], cwd = FIXTURES) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('hostile input on the command line', () => {
  it('a --set path through __proto__ is a located user error and pollutes nothing', async () => {
    const { code, stderr } = await cli([
      'validate',
      'tiny.yaml',
      '--set',
      'network.rtt.__proto__.polluted=1ms',
    ]);
    expect(stderr).toBe(
      '--set:1:1: network.rtt.__proto__.polluted: "__proto__" is reserved by JavaScript and cannot be part of a path\n',
    );
    expect(code).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an alias bomb is a located user error, not an internal one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bomb-'));
    const lol = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [prev, next] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
    ]) {
      lol.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    writeFileSync(
      join(dir, 'bomb.yaml'),
      `${readFileSync(join(FIXTURES, 'tiny.yaml'), 'utf8')}${lol.join('\n')}\n`,
    );
    const { code, stderr } = await cli(['run', 'bomb.yaml', '--out', join(dir, 'out')], dir);
    // tiny.yaml has 16 lines; the first alias follows "b: &b [" on line 18.
    expect(stderr).toBe(
      'bomb.yaml:18:8: aliases expand to more than 100 copies; write the values out instead of nesting aliases\n',
    );
    expect(code).toBe(2);
  });

  it('a syntax error that derails the parser is one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-syntax-'));
    writeFileSync(join(dir, 'broken.yaml'), `duration: 1h\nfleets: [\n${'  - a: [b\n  x: }\n'.repeat(40)}`);
    const { code, stderr } = await cli(['validate', 'broken.yaml'], dir);
    expect(stderr).toMatch(/^broken\.yaml:3:9: [^\n]+ \(and \d+ more syntax errors\)\n$/);
    expect(code).toBe(2);
  });

  it('an alias bomb in a --grid value is a located user error', async () => {
    const bomb =
      '[&a [x, x, x, x, x, x, x, x, x], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a], [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]]';
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-grid-bomb-'));
    const { code, stderr } = await cli([
      'sweep',
      'tiny.yaml',
      '--out',
      out,
      '--grid',
      `fleets.0.replicas=${bomb}`,
    ]);
    // The value starts at column 19, its first alias 37 characters in.
    expect(stderr).toBe(
      '--grid:1:56: cannot parse the values: aliases expand to more than 100 copies; write the values out instead of nesting aliases\n',
    );
    expect(code).toBe(2);
  });

  it('a 2,000-term expression is a located user error', async () => {
    const terms = Array(2000).fill('1ms').join(' + ');
    const { code, stderr } = await cli(['validate', 'tiny.yaml', '--set', `fleets.0.service_time=${terms}`]);
    expect(stderr).toBe(
      '--set:1:23: fleets[0].service_time: the expression is 11997 characters long; the limit is 1000\n',
    );
    expect(code).toBe(2);
  });
  it('a flag value with a line break or a terminal escape is repeated escaped, on one line', async () => {
    const { code, stderr } = await cli(['run', 'tiny.yaml', '--seed', '4\n\u001b[2J']);
    expect(stderr).toBe('fleetsim: --seed: expected an integer, got "4\\n\\u001b[2J"\n');
    expect(code).toBe(2);
  });
});

describe('a reader that closes the pipe early', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  }, 120_000);

  it('ends the CLI quietly with exit 0, as `fleetsim schema | head -c 1` does', () => {
    // A shell pipe, not a Node one: Node gives a child a socket pair whose buffer takes the whole
    // schema, while a pipe holds 64 KiB, so the CLI is still writing when head exits.
    const result = spawnSync(
      'bash',
      [
        '-c',
        '"$0" "$1" schema | head -c 1; exit $PIPESTATUS',
        process.execPath,
        join(ROOT, 'dist/cli/main.js'),
      ],
      { encoding: 'utf8' },
    );
    expect(result.stdout).toBe('{');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
