/**
 * Module state a test file may change, put back after each file. The suite's workers keep loaded
 * modules from one file to the next (vitest.config.ts, `isolate: false`), so a file that shortens the
 * polls or follows a lab's clock would otherwise hand that on to whichever file the worker runs next.
 */
import { afterAll } from 'vitest';
import { pollDefaults } from '../../src/verify/poll.js';
import { clock, REAL_CLOCK, useClock } from '../../src/util/clock.js';
import { output, setOutput, setOutputSecrets } from '../../src/output.js';
import { NETWORK_TIMING } from '../../steps/network.js';
import { NET_TIMING } from '../../steps/net-drive.js';

const saved = {
  polls: { ...pollDefaults },
  network: { ...NETWORK_TIMING },
  net: { ...NET_TIMING },
  output: output(),
};

afterAll(() => {
  Object.assign(pollDefaults, saved.polls);
  Object.assign(NETWORK_TIMING, saved.network);
  Object.assign(NET_TIMING, saved.net);
  setOutput(saved.output);
  setOutputSecrets([]);
  if (clock() !== REAL_CLOCK) useClock(REAL_CLOCK);
});
