/**
 * What a run spent where, for `npm run bench` (issue 18): counters only, never behaviour. With
 * `ANVIL_PERF_FILE` set, the process writes them there as JSON when it exits, with its CPU time.
 */
import { writeFileSync } from 'node:fs';

/** The counters of one process. */
export interface PerfCounters {
  /** Real-time sleeps (wall clock, whatever clock the install follows) and their sum, ms. */
  realWaits: number;
  realWaitMs: number;
  /** Remote commands and SFTP operations over NodeSession, and the sum of their round trips, ms. */
  commands: number;
  commandMs: number;
  sftpOps: number;
  sftpMs: number;
  /** Commands a lab in this process ran, and the wall time inside the lab's shell, ms. */
  labExecs: number;
  labExecMs: number;
  /** The installer's checkpoint writes (state.json: write, fsync, rename, fsync of the folder), and their sum, ms. */
  stateWrites: number;
  stateWriteMs: number;
  /** The lab's saver in this process (see WorldSaver.stats). */
  labSave?: {
    saves: number;
    compactions: number;
    logBytes: number;
    compactBytes: number;
    ms: number;
  };
}

/** This process's counters. */
export const perf: PerfCounters = {
  realWaits: 0,
  realWaitMs: 0,
  commands: 0,
  commandMs: 0,
  sftpOps: 0,
  sftpMs: 0,
  labExecs: 0,
  labExecMs: 0,
  stateWrites: 0,
  stateWriteMs: 0,
};

const file = process.env.ANVIL_PERF_FILE;
if (file) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    try {
      writeFileSync(
        file,
        JSON.stringify({ ...perf, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, pid: process.pid }),
      );
    } catch {
      /* NOTE: a benchmark aid; never fails the run */
    }
  });
}
