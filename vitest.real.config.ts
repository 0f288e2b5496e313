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
    // NOTE: two files at a time: the fence agents' tests mostly wait on the agents' timeouts while
    // another file works. They do not meet: namespaces, their /etc/netns folders and scratch folders
    // are named by process id, and only block-lvm-gfs2-lab uses loop devices (with a /dev of its own).
    pool: 'forks',
    maxWorkers: 2,
  },
});
