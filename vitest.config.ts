import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // NOTE: RSA keys for the lab's fresh worlds from a pool made ahead (see the file).
    setupFiles: ['test/setup/rsa-key-pool.ts', 'test/setup/module-state.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // NOTE: sshd/lab tests bind loopback ports and spawn processes; keep files isolated in forks.
    pool: 'forks',
    // NOTE: a worker keeps the modules it loaded from one file to the next: loading them again for each
    // of 170 files cost ~90 s of CPU (a third of the suite's) on 2 cores. No test mocks a module or
    // changes process-wide state (cwd, env) without putting it back; the module state a file may change
    // (polls, clock, output, the key pool) is put back by the setup files after each file.
    isolate: false,
    // NOTE: much of the suite's time is spent waiting on subprocesses (the CLI, sshd, a lab over SSH),
    // not in the worker itself: vitest's default (cores - 1) runs one file at a time on 2 cores, and
    // one worker more than the cores keeps them busy while a worker waits (measured on 2 cores: 2 m 46 s
    // with 2 workers, 2 m 26 s with 3).
    maxWorkers: availableParallelism() + 1,
  },
});
