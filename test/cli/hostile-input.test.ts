import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
