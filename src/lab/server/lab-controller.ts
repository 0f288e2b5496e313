/**
 * The installer's handle on a lab beyond SSH to its nodes: the lab's clock (so the install's waits
 * pass in lab time) and its faults (the "hands" that pull cables and power switches off when the
 * tool drives the tutorial's tests). Works on a lab in this process and on one served by another
 * process, through its control endpoint.
 */
import type { Clock } from '../../util/clock.js';
import { AnvilError } from '../../errors.js';
import { endpointConnectOptions, parseFault, type SshExecResult } from './control.js';
import { ControlLink } from './control-link.js';
import type { LabEndpoint } from '../store/persist.js';
import type { LabWorld } from '../types.js';

/** What the installer may do to a lab. */
export interface LabController {
  /** The lab's clock. */
  clock: Clock;
  /** Inject a fault: the words of `anvil-install lab fault ...` (e.g. `cable an-node01 eth0 down`). */
  fault(words: string[]): Promise<void>;
  /**
   * Read the lab's time now. NOTE: a lab served by another process runs ahead of the wall clock (its
   * waits pass in lab time); until read, `clock.now()` would jump by that much at the first sleep and
   * end every deadline taken before it (a resumed reboot wait "not back within 1200 s" at once).
   */
  sync(): Promise<void>;
  /** Let go of what the controller holds (the kept control connection of a served lab). */
  close(): void;
}

// NOTE: a turn of the event loop per lab sleep lets SSH traffic and background jobs of the lab move,
// without waiting real time for what the lab already knows.
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/** A controller for a world in this process. */
export function inProcessController(world: LabWorld): LabController {
  return {
    clock: {
      now: () => world.now?.() ?? Date.now(),
      async sleep(ms) {
        world.advance?.(ms);
        await world.settle?.();
        await yieldTurn();
      },
    },
    async fault(words) {
      world.fault(parseFault(words, Object.keys(world.nodes)));
    },
    async sync() {},
    close() {},
  };
}

/** A controller for a lab served by another process (its control endpoint, the lab client key). */
export function remoteController(control: LabEndpoint, clientKeyPath: string): LabController {
  const opts = { ...endpointConnectOptions(control, clientKeyPath), readyTimeout: 10_000 };
  let offset = 0;
  const link = new ControlLink(opts);
  const run = async (cmd: string): Promise<string> => {
    let r: SshExecResult;
    try {
      r = await link.exec(cmd);
    } catch (e) {
      // NOTE: a plain network error here would reach the operator as an internal error (exit 70).
      throw new AnvilError(
        `the lab does not answer on its control endpoint ${control.host}:${control.port} (${(e as Error).message}): the lab process has stopped or hangs`,
        'start the lab again (`anvil-install lab serve --state DIR/lab`, or let `anvil-install resume --state DIR` start one), then resume',
      );
    }
    if (r.code !== 0) throw new AnvilError(`lab control "${cmd}" failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  };
  const note = (out: string) => {
    const t = Number(out.trim());
    if (Number.isFinite(t)) offset = t - Date.now();
  };
  return {
    clock: {
      // NOTE: between calls lab time runs with the wall clock; the last answer fixes the offset.
      now: () => Date.now() + offset,
      async sleep(ms) {
        // NOTE: the answer is a real round trip to the lab: nothing more to wait for.
        note(await run(`advance ${Math.max(0, Math.round(ms))}`));
      },
    },
    async fault(words) {
      await run(`fault ${words.join(' ')}`);
    },
    async sync() {
      note(await run('now'));
    },
    close() {
      link.close();
    },
  };
}
