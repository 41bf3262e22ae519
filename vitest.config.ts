import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI reads its totals from the JSON report (.ci/run); the Node 22 pass writes its own file.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: process.env.ONCALL_VITEST_JSON ?? 'test-results/vitest.json' }]]
      : ['default'],
  },
});
