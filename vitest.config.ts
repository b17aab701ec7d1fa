import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Safety nets against a hang, not speed limits: a loaded 2-core CI machine (other work running)
    // took over 120 s for a single SSH backup test.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    // Two cores; integration files share one Docker engine and one sshd.
    maxWorkers: 2,
    pool: 'forks',
    // Per-file durations after the run (CI time budget: see .ci/run).
    reporters: ['default', './test/helpers/timings-reporter.ts'],
  },
});
