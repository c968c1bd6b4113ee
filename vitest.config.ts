import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one fork per core but one, so a single fork on a 2-core machine. Many
    // tests wait rather than compute (the emulated robot is a child process held at a quarter of
    // a core, servers answer on loopback), so two forks there took the suite from 384 s to 232 s.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    setupFiles: ['test/setup-fast-check.ts'],
  },
});
