import { defineConfig } from 'vitest/config';

/**
 * `npm run test:real`: the slow checks against real programs (test/real/*.real.ts): fence agents
 * against ipmi_sim BMCs, sshd nodes in network namespaces, block tools on loop devices. Each file
 * skips with a printed reason without root or its tool. The fast ones are part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/real/**/*.real.ts'],
    // NOTE: the shell harness installs the examples with the built CLI (dist/), built here as in npm test.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // NOTE: files share the host's loop devices and /etc/netns: one file at a time.
    pool: 'forks',
    fileParallelism: false,
  },
});
