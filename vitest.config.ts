import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    // Hooks run whole scenarios too (the browser test's beforeAll runs three): on a busy 2-core
    // machine they outlast vitest's default of 10 s.
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/temporary-root.ts'],
  },
});
