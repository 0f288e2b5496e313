import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // NOTE: sshd/lab tests bind loopback ports and spawn processes; keep files isolated in forks.
    pool: 'forks',
  },
});
