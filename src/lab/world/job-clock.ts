/**
 * Lab time for the nodes' background jobs (`cmd &`, DRBD's fence-peer helpers): jobs run at the same
 * time, so a wait inside one (`sleep`, a fence agent's run) must not add to the waits of the others.
 * A wait in a job is a sleeper: once every job of the world is asleep (or done), lab time jumps to the
 * earliest sleeper's end and wakes it. DRBD 8.3 runs one helper per minor, each from its own worker
 * (drbd_nl.c `drbd_try_outdate_peer()` -> `drbd_khelper()`), so the handlers of one peer loss sleep
 * side by side: rhcs_fence's delay by node ID (`sleep_a_bit()`) is counted once, not once per minor.
 *
 * A wait outside any job (a command the installer runs, a timer's work) moves lab time at once, as
 * before: its caller is waiting for it and nothing else runs on that command line.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What a job's waits need from the world. */
export interface JobClockWorld {
  now(): number;
  advanceTo(t: number): void;
}

interface Sleeper {
  node: string;
  at: number;
  wake: () => void;
}

/** The background jobs of one world and their waits in lab time. */
export class JobClock {
  /** Jobs queued or running, on every node. */
  private pending = 0;
  private sleepers: Sleeper[] = [];
  private stepQueued = false;

  constructor(private readonly w: JobClockWorld) {}

  /** A job was queued (it counts until `done`). */
  queued(): void {
    this.pending++;
  }

  /** `n` jobs finished or were dropped (their node went down before they ran). */
  done(n = 1): void {
    this.pending = Math.max(0, this.pending - n);
    this.check();
  }

  /** Run `fn` as a job of `node`: waits in it (see `wait`) are this clock's sleepers. */
  run<T>(node: string, fn: () => Promise<T>): Promise<T> {
    return JOB.run({ node, clock: this }, fn);
  }

  /** Sleep `ms` of lab time in a job of `node`. */
  sleep(node: string, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    const at = this.w.now() + ms;
    return new Promise<void>((wake) => {
      this.sleepers.push({ node, at, wake });
      this.check();
    });
  }

  /** `node` went down: its sleepers wake now (their next command finds the node down). */
  wakeNode(node: string): void {
    const mine = this.sleepers.filter((s) => s.node === node);
    if (!mine.length) return;
    this.sleepers = this.sleepers.filter((s) => s.node !== node);
    for (const s of mine) s.wake();
  }

  /** Jobs queued or running and how many of them sleep (tests). */
  state(): { pending: number; sleeping: number } {
    return { pending: this.pending, sleeping: this.sleepers.length };
  }

  private check(): void {
    if (this.stepQueued || !this.sleepers.length || this.sleepers.length < this.pending) return;
    this.stepQueued = true;
    // NOTE: a turn of the event loop first, so a job woken a moment ago reaches its next wait or its end.
    setImmediate(() =>
      JOB.exit(() => {
        this.stepQueued = false;
        this.step();
      }),
    );
  }

  /** Every job sleeps: lab time moves to the earliest end, whose sleepers wake. */
  private step(): void {
    if (!this.sleepers.length || this.sleepers.length < this.pending) return;
    const at = Math.min(...this.sleepers.map((s) => s.at));
    this.w.advanceTo(at);
    const now = this.w.now();
    const due = this.sleepers.filter((s) => s.at <= now);
    this.sleepers = this.sleepers.filter((s) => s.at > now);
    for (const s of due) s.wake();
    this.check();
  }
}

/** The job a piece of code runs in (undefined: a command line or a timer, not a background job). */
const JOB = new AsyncLocalStorage<{ node: string; clock: JobClock }>();

/** Whether the caller runs inside a background job. */
export function inJob(): boolean {
  return JOB.getStore() !== undefined;
}

/**
 * Let `ms` of lab time pass for the caller: inside a job, as one of the world's sleepers; outside,
 * by moving lab time at once (`advanceTo`).
 */
export async function labWait(w: JobClockWorld, ms: number): Promise<void> {
  const job = JOB.getStore();
  if (job) await job.clock.sleep(job.node, ms);
  else if (ms > 0) w.advanceTo(w.now() + ms);
}

/** Run `fn` outside any job (a timer fired by a job's wait belongs to the world, not to the job). */
export function outsideJobs<T>(fn: () => T): T {
  return JOB.exit(fn);
}
