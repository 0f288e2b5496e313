/**
 * The generic EL6 init-script engine: start/stop/restart/status with `[  OK  ]` columns and exit
 * codes 0/1/3, and the shape of a service definition that refines it. Generic in the node it runs on
 * (the lab's node runs it; this module does not import the node).
 */
import type { NodeFs } from '../fs/node-fs.js';
import { statusLine, readHeader, type ChkHeader } from './rc.js';

export type { ChkHeader } from './rc.js';

/** What the engine needs of the machine a script runs on. */
export interface InitHost {
  readonly fs: NodeFs;
  isRunning(service: string): boolean;
  pidOf(service: string): number | undefined;
  markRunning(service: string): void;
  markStopped(service: string): void;
}

/** What an init-script action printed and returned. */
export interface ActionResult {
  code: number;
  out: string;
}

/** One service the lab knows; `N` is the node its actions run on. */
export interface ServiceDefFor<N> {
  name: string;
  /** chkconfig header: default levels, start and stop priorities. */
  header: ChkHeader;
  description: string;
  /** Process name for `status` ("ntpd (pid  1234) is running..."). */
  proc?: string;
  /** "Starting ntpd: " */
  startMsg?: string;
  /** "Shutting down ntpd: " */
  stopMsg?: string;
  /** Actions listed in the usage message. */
  usage?: string;
  /** Custom behaviour; may call `generic` for the default. */
  start?(node: N, generic: () => ActionResult): ActionResult | Promise<ActionResult>;
  stop?(node: N, generic: () => ActionResult): ActionResult | Promise<ActionResult>;
  status?(node: N, generic: () => ActionResult): ActionResult | Promise<ActionResult>;
  /** Extra actions (reload, ...). */
  actions?: Record<string, (node: N, args: string[]) => ActionResult | Promise<ActionResult>>;
}

const h = (levels: string, start: number, stop: number): ChkHeader => ({ levels, start, stop });

/** Definition for a script without a catalogue entry (`known` undefined): generic daemon behaviour. */
export function serviceDefOf<N extends InitHost>(
  node: N,
  known: ServiceDefFor<N> | undefined,
  name: string,
): ServiceDefFor<N> {
  if (known) return known;
  const header = readHeader(node.fs, name) ?? h('', 50, 50);
  return { name, header, description: name, startMsg: `Starting ${name}: `, stopMsg: `Stopping ${name}: `, proc: name };
}

/**
 * Run an init-script action the way EL6 scripts behave: start/stop with the status column,
 * status → 0 running / 3 stopped, restart = stop + start, unknown action → usage, exit 2.
 */
export function runInitScript<N extends InitHost>(
  node: N,
  known: ServiceDefFor<N> | undefined,
  name: string,
  action: string | undefined,
  args: string[],
  script: string,
): MaybePromise<ActionResult> {
  const def = serviceDefOf(node, known, name);
  const proc = def.proc ?? name;
  const gStart = (): ActionResult => {
    node.markRunning(name);
    return { code: 0, out: statusLine(def.startMsg ?? `Starting ${name}: `, true) };
  };
  const gStop = (): ActionResult => {
    if (!node.isRunning(name)) return { code: 1, out: statusLine(def.stopMsg ?? `Stopping ${name}: `, false) };
    node.markStopped(name);
    return { code: 0, out: statusLine(def.stopMsg ?? `Stopping ${name}: `, true) };
  };
  const gStatus = (): ActionResult => {
    const pid = node.pidOf(name);
    return pid ? { code: 0, out: `${proc} (pid  ${pid}) is running...\n` } : { code: 3, out: `${proc} is stopped\n` };
  };
  const start = () => (def.start ? def.start(node, gStart) : gStart());
  const stop = () => (def.stop ? def.stop(node, gStop) : gStop());
  const both = () => andThen(stop(), (a) => andThen(start(), (b) => ({ code: b.code, out: a.out + b.out })));
  switch (action) {
    case 'start':
      return start();
    case 'stop':
      return stop();
    case 'status':
      return def.status ? def.status(node, gStatus) : gStatus();
    case 'restart':
    case 'force-reload':
      return both();
    case 'condrestart':
    case 'try-restart':
      return node.isRunning(name) ? both() : { code: 0, out: '' };
    case 'reload':
      if (def.actions?.reload) return def.actions.reload(node, args);
      if (!node.isRunning(name)) return { code: 7, out: statusLine(`Reloading ${name}: `, false) };
      return { code: 0, out: statusLine(`Reloading ${name}: `, true) };
  }
  if (action && def.actions?.[action]) return def.actions[action](node, args);
  return {
    code: 2,
    out: `Usage: ${script} {${def.usage ?? 'start|stop|status|restart|condrestart|try-restart|reload|force-reload'}}\n`,
  };
}

/** A value or a promise of it: built-in services act synchronously, later ones may not. */
export type MaybePromise<T> = T | Promise<T>;

/** Continue with `f` after `x`, staying synchronous when `x` is not a promise. */
export function andThen<T, U>(x: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> {
  return x instanceof Promise ? x.then(f) : f(x);
}
