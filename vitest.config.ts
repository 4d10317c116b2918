import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share network namespaces and the machine's 2 cores: keep files sequential-ish.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
