/**
 * `anvil-install lab serve|exec|fault|status`: the simulated node pair as its own process, and the
 * small tools to use it. A running lab is found through `<state>/lab.json` and reached over SSH
 * (nodes) and its control endpoint (status, faults); with no lab running, `exec`, `fault` and
 * `status` work on the saved world in this process and save it back.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AnvilError } from '../errors.js';
import { output, say } from '../output.js';
import { loadAnswers } from '../plan/load.js';
import type { Answers } from '../plan/schema.js';
import { FAULT_USAGE, parseFault, sshExec, endpointConnectOptions } from '../lab/server/control.js';
import {
  LAB_DEFAULT_PASSWORD,
  execOffline,
  withLabLock,
  findRunningLab,
  labConnectOptions,
  loadWorldOffline,
  startLab,
  type LabStatus,
} from '../lab/index.js';
import { readLabInfo, saveWorld, worldPath } from '../lab/store/persist.js';

/** Default lab state folder (the installer's default state folder + `/lab`). */
export const DEFAULT_LAB_STATE = join('.anvil', 'lab');

interface StateOpt {
  state: string;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new AnvilError(`--port-base: "${v}" is not a port number (1-65535)`);
  return n;
}

/** Answers for a lab that was started from a file before (best effort: secrets may be missing now). */
function answersFromLabInfo(stateDir: string): { answers?: Answers; file?: string } {
  const file = readLabInfo(stateDir)?.answersFile;
  if (!file || !existsSync(file)) return {};
  try {
    return { answers: loadAnswers(file), file };
  } catch {
    return {};
  }
}

function readStdin(): Promise<string> {
  return new Promise((resolveRead, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (d: Buffer) => chunks.push(d));
    process.stdin.on('end', () => resolveRead(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function unreachable(node: string, where: string, why: string): AnvilError {
  const e = new AnvilError(
    `${node}: no SSH answer at ${where} (${why})`,
    'the node may be powered off, crashed or cut off: `anvil-install lab status`; `lab fault power NODE on` brings it back',
  );
  // NOTE: 255, as ssh(1) exits when it cannot reach the host.
  e.exitCode = 255;
  return e;
}

async function serve(o: StateOpt & { answers?: string; portBase?: number }): Promise<void> {
  const stateDir = resolve(o.state);
  let answers: Answers | undefined;
  let answersFile: string | undefined;
  if (o.answers) {
    answers = loadAnswers(o.answers);
    answersFile = resolve(o.answers);
  } else if (existsSync(worldPath(stateDir))) {
    ({ answers, file: answersFile } = answersFromLabInfo(stateDir));
  } else {
    throw new AnvilError(`no saved lab world in ${stateDir}`, 'pass --answers FILE to build one');
  }
  const errors: string[] = [];
  const lab = await startLab({
    stateDir,
    ...(answers ? { answers } : {}),
    ...(answersFile ? { answersFile } : {}),
    ...(o.portBase !== undefined ? { portBase: o.portBase } : {}),
    onError: (e) => {
      const msg = e instanceof Error ? e.message : String(e);
      errors.push(msg);
      output().err.write(`lab: ${msg}\n`);
    },
  });
  const names = Object.keys(lab.nodes);
  const width = Math.max(...names.map((n) => n.length), 'control'.length);
  say(
    `anvil-install lab: ${names.length} node${names.length === 1 ? '' : 's'} served from ${stateDir} (pid ${process.pid})`,
  );
  for (const n of names) {
    const ep = lab.nodes[n];
    say(`  ${n.padEnd(width)}  127.0.0.1:${ep.port}  ${ep.hostKeyFingerprint}`);
  }
  say(`  ${'control'.padEnd(width)}  127.0.0.1:${lab.control.port}  ${lab.control.hostKeyFingerprint}`);
  say(`  log in:   ssh -i ${lab.clientKeyPath} -p ${lab.nodes[names[0]].port} root@127.0.0.1`);
  const defaults = names.filter((n) => !answers?.nodes.find((a) => a.name === n)?.ssh.password);
  if (defaults.length)
    say(`  password: "${LAB_DEFAULT_PASSWORD}" on ${defaults.join(', ')} (nodes[].ssh.password overrides)`);
  say(`  state:    ${join(stateDir, 'world.json')}, journal in ${join(stateDir, 'journal')}/`);
  say('lab ready; Ctrl-C (SIGINT) or SIGTERM stops it and saves the world');

  await new Promise<void>((done) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void lab.stop().then(
        () => {
          say(`lab stopped (${sig}); world saved to ${join(stateDir, 'world.json')}`);
          done();
        },
        (e: unknown) => {
          output().err.write(`lab: stopping failed: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exitCode = 1;
          done();
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function exec(node: string, words: string[], o: StateOpt & { stdin?: boolean; answers?: string }): Promise<void> {
  const stateDir = resolve(o.state);
  const cmd = words.join(' ');
  if (!cmd.trim())
    throw new AnvilError('lab exec: no command given', 'usage: anvil-install lab exec NODE -- COMMAND...');
  const stdin = o.stdin ? await readStdin() : '';
  const running = await findRunningLab(stateDir);
  if (running) {
    const opts = labConnectOptions(running, node);
    let r;
    try {
      r = await sshExec(opts, cmd, {
        stdin,
        onStdout: (d) => output().out.write(d),
        onStderr: (d) => output().err.write(d),
      });
    } catch (e) {
      throw unreachable(node, `127.0.0.1:${opts.port}`, e instanceof Error ? e.message : String(e));
    }
    process.exitCode = r.code ?? 255;
    return;
  }
  const answers = o.answers ? loadAnswers(o.answers) : answersFromLabInfo(stateDir).answers;
  const world = await loadWorldOffline({ stateDir, ...(answers ? { answers } : {}) });
  const n = world.nodes[node];
  if (!n) throw new AnvilError(`no lab node named "${node}" (lab nodes: ${Object.keys(world.nodes).join(', ')})`);
  if (!n.reachable()) throw unreachable(node, 'the saved lab world', 'it is not reachable there');
  const r = await execOffline({ stateDir, node, cmd, stdin, ...(answers ? { answers } : {}), world });
  output().out.write(r.stdout);
  output().err.write(r.stderr);
  process.exitCode = r.code & 0xff;
}

async function fault(args: string[], o: StateOpt): Promise<void> {
  const stateDir = resolve(o.state);
  const running = await findRunningLab(stateDir);
  if (running) {
    // NOTE: validate here too, so a typo gets the usage hint without a round trip.
    parseFault(args, Object.keys(running.nodes));
    const r = await sshExec(
      endpointConnectOptions(running.control, running.clientKeyPath),
      ['fault', ...args].join(' '),
    );
    if (r.code !== 0) throw new AnvilError(`lab fault: ${r.stderr.trim() || `control exited ${r.code}`}`);
    say(`fault applied to the running lab (pid ${running.pid}): ${args.join(' ')}`);
    return;
  }
  const { answers } = answersFromLabInfo(stateDir);
  const world = await loadWorldOffline({ stateDir, ...(answers ? { answers } : {}) });
  const f = parseFault(args, Object.keys(world.nodes));
  await withLabLock(stateDir, () => {
    world.fault(f);
    saveWorld(stateDir, world);
  });
  say(`fault applied to the saved world in ${stateDir} (no lab running): ${args.join(' ')}`);
}

async function status(o: StateOpt & { json?: boolean }): Promise<void> {
  const stateDir = resolve(o.state);
  const running = await findRunningLab(stateDir);
  let st: {
    running: boolean;
    pid?: number;
    stateDir: string;
    nodes: Record<string, { port?: number; hostKeyFingerprint?: string; reachable: boolean; connections?: number }>;
    control?: { port: number };
  };
  if (running) {
    const s: LabStatus = running.status;
    st = { running: true, pid: s.pid, stateDir, nodes: s.nodes, control: s.control };
  } else {
    const info = readLabInfo(stateDir);
    const { answers } = answersFromLabInfo(stateDir);
    const world = await loadWorldOffline({ stateDir, ...(answers ? { answers } : {}) });
    st = {
      running: false,
      stateDir,
      nodes: Object.fromEntries(
        Object.entries(world.nodes).map(([n, node]) => [
          n,
          {
            reachable: node.reachable(),
            ...(info?.nodes[n]
              ? { port: info.nodes[n].port, hostKeyFingerprint: info.nodes[n].hostKeyFingerprint }
              : {}),
          },
        ]),
      ),
    };
  }
  if (o.json) {
    say(JSON.stringify(st, null, 2));
    return;
  }
  say(st.running ? `lab running (pid ${st.pid}) from ${stateDir}` : `lab not running; saved world in ${stateDir}`);
  const names = Object.keys(st.nodes);
  const width = Math.max(4, ...names.map((n) => n.length));
  say(`  ${'NODE'.padEnd(width)}  ${'REACHABLE'.padEnd(9)}  ${'PORT'.padEnd(5)}  ${'SESSIONS'.padEnd(8)}  HOST KEY`);
  for (const n of names) {
    const x = st.nodes[n];
    say(
      `  ${n.padEnd(width)}  ${(x.reachable ? 'yes' : 'no').padEnd(9)}  ${String(x.port ?? '-').padEnd(5)}  ${String(x.connections ?? '-').padEnd(8)}  ${x.hostKeyFingerprint ?? '-'}`,
    );
  }
  if (st.control) say(`  control endpoint 127.0.0.1:${st.control.port}`);
}

/** Register the command. */
export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('The simulated node pair, served over real SSH on 127.0.0.1: practise an install before real hardware')
    .addHelpText(
      'after',
      `
State folder (--state, default ${DEFAULT_LAB_STATE}): world.json (the saved world), lab.json (ports,
host-key fingerprints, client key of a running lab), client_key, hostkeys/, journal/<node>.jsonl.
Log in to a node with the client key (ssh -i DIR/client_key -p PORT root@127.0.0.1) or with the
root password (nodes[].ssh.password, else "${LAB_DEFAULT_PASSWORD}"). A running lab also has a control
endpoint (port in lab.json, client key only) whose commands are \`status\`, \`ping\`, \`save\` and
\`fault ...\`: ssh -i DIR/client_key -p CONTROL_PORT root@127.0.0.1 status`,
    );

  lab
    .command('serve')
    .description('run the lab as its own process until SIGINT/SIGTERM (the world is saved after every change)')
    .option('--answers <file>', 'answers file the world is built from (optional once a world is saved)')
    .option('--state <dir>', 'lab state folder', DEFAULT_LAB_STATE)
    .option(
      '--port-base <n>',
      'node i listens on N+i, the control endpoint on N+nodes (default: previous ports, else free ones)',
      parsePort,
    )
    .action((o: StateOpt & { answers?: string; portBase?: number }) => serve(o));

  lab
    .command('exec')
    .description(
      'run a command on a lab node (over SSH when a lab is running, else on the saved world), exiting with its code',
    )
    .argument('<node>', 'node name, e.g. an-node01')
    .argument('<command...>', 'the command line; put it after "--" when it has options')
    .option('--state <dir>', 'lab state folder', DEFAULT_LAB_STATE)
    .option('--stdin', "send this process's standard input to the command")
    .option('--answers <file>', 'answers file, when no lab runs and no world is saved yet')
    .action((node: string, words: string[], o: StateOpt & { stdin?: boolean; answers?: string }) =>
      exec(node, words, o),
    );

  lab
    .command('fault')
    .description('inject a fault into the running lab (or the saved world)')
    .argument('<kind>', FAULT_USAGE.join(' | '))
    .argument('[args...]', "the fault's arguments")
    .option('--state <dir>', 'lab state folder', DEFAULT_LAB_STATE)
    .addHelpText(
      'after',
      `\nFaults:\n${FAULT_USAGE.map((u) => `  lab fault ${u}`).join('\n')}\n
power NODE off pulls the node's cords (its BMC dies with it); bmc/pdu down make the IPMI BMC or the
PDU's management stop answering (a dead PDU still passes power); outlet PDU PORT NODE cables that
outlet to NODE (a miswired PDU: fencing by the PDU then cuts the wrong node).`,
    )
    .action((kind: string, args: string[], o: StateOpt) => fault([kind, ...args], o));

  lab
    .command('status')
    .description('show the lab nodes: reachability, ports, open sessions, host keys')
    .option('--state <dir>', 'lab state folder', DEFAULT_LAB_STATE)
    .option('--json', 'machine-readable output')
    .action((o: StateOpt & { json?: boolean }) => status(o));
}
