/**
 * Lab time's timers: every delay the tutorial describes (post_join_delay, token timeouts, fence agent
 * runs, boots, DRBD wfc timeouts, restart_expire_time) is a timer that fires when lab time reaches it.
 * Timers are plain data (a kind and a JSON payload) so the world can be saved with them pending and
 * restored in another process; the code that runs when one fires is given per kind by the
 * subsystem that owns it (`LabSubsystem.timers`) and looked up by the world it belongs to.
 */

/** One pending timer. */
export interface Timer {
  id: number;
  /** Lab time (ms since the epoch) it fires at. */
  at: number;
  /** Handler kind, e.g. `cluster.post-join-delay`. */
  kind: string;
  /** JSON payload given to the handler. */
  data: unknown;
}

/** Serialized scheduler. */
export interface SchedulerSaved {
  next: number;
  timers: Timer[];
}

/** What a timer handler gets: the world it belongs to (typed by the caller) and its payload. */
export type TimerHandler = (world: unknown, data: unknown, timer: Timer) => void;

/** Pending timers in firing order (time, then creation order). */
export class Scheduler {
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(saved?: SchedulerSaved) {
    if (saved) {
      this.timers = saved.timers.map((t) => ({ ...t }));
      this.nextId = saved.next;
    }
  }

  /** Add a timer; returns its id. */
  add(at: number, kind: string, data: unknown = null): number {
    const id = this.nextId++;
    this.timers.push({ id, at, kind, data });
    this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
    return id;
  }

  /** Remove a timer by id (no-op when it fired or was cancelled). */
  cancel(id: number | undefined): void {
    if (id === undefined) return;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Remove every timer of `kind` whose payload matches `pred`. */
  cancelWhere(kind: string, pred: (data: unknown) => boolean = () => true): void {
    this.timers = this.timers.filter((t) => !(t.kind === kind && pred(t.data)));
  }

  /** Pending timers (copy). */
  pending(): Timer[] {
    return this.timers.map((t) => ({ ...t }));
  }

  /** The earliest timer due at or before `t`, removed from the queue. */
  takeDue(t: number): Timer | undefined {
    const first = this.timers[0];
    if (!first || first.at > t) return undefined;
    this.timers.shift();
    return first;
  }

  toJSON(): SchedulerSaved {
    return { next: this.nextId, timers: this.pending() };
  }
}
