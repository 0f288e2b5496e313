/**
 * Operator hands: what only a person can do during the tutorial's tests (pull a cable, power a
 * switch off and on). On real hardware the operator is asked to do it; the test that asked then
 * confirms by its effect that it was done, and done to the right cable. On the lab, the lab's faults
 * are the hands. One interface, so a test is written once for both.
 */
import { spawn } from 'node:child_process';
import type { Prompter } from './prompter.js';
import { AnvilError } from '../errors.js';

/** Which switch: the one the primary links go to, or the one the backup links go to. */
export type SwitchRole = 'primary' | 'secondary';

/** Hands for the tests a gate drives. */
export interface OperatorHands {
  /** `lab`: faults are injected; `operator`: a person acts when asked. */
  readonly kind: 'lab' | 'operator';
  /** Unplug (`down`) or plug back (`up`) the cable of a node's NIC. */
  cable(node: string, nic: string, state: 'up' | 'down', why?: string): Promise<void>;
  /**
   * Cut (`down`) or restore (`up`) the power of a switch: the one `via` (a node's NIC) is cabled to,
   * which is how the switch is known for sure (the primary links go to the primary switch).
   */
  switchPower(which: SwitchRole, state: 'up' | 'down', via: { node: string; nic: string }): Promise<void>;
  /**
   * Power a node on from outside it (both nodes are off during a cold start): the first fence
   * method's agents with `action=on`, run on the operator's machine, else the power button.
   */
  powerOn(node: string, agents: PowerOnAgent[], together?: PowerOnTogether): Promise<void>;
  /** Put a file the operator brings (an install ISO, a driver floppy image) at `path` on a node. */
  supplyFile(node: string, path: string): Promise<void>;
}

/**
 * Nodes powered on at the same time (a cold start): they must boot within post_join_delay of each
 * other, or the slower one is fenced at boot (tutorial 5312). A person is asked once, for all of them.
 */
export interface PowerOnTogether {
  /** Every node powered on now, this one included. */
  nodes: string[];
  /** post_join_delay, in seconds. */
  postJoinDelay: number;
}

/** A fence agent call that powers a node on: the agent and its `name=value` stdin (secrets inside). */
export interface PowerOnAgent {
  agent: string;
  stdin: string;
  /** What to show the operator (passwords masked), e.g. `fence_ipmilan -a an-node01.ipmi -l root -p ******** -o on`. */
  shown: string;
}

/** Hands that inject the lab's faults (`fault` takes the words of `anvil-install lab fault ...`). */
export function labHands(fault: (words: string[]) => Promise<void>): OperatorHands {
  return {
    kind: 'lab',
    cable: (node, nic, state) => fault(['cable', node, nic, state]),
    // NOTE: the switch a NIC is really cabled to (a NIC renamed by udev keeps its cable).
    switchPower: (_which, state, via) => fault(['switch-for', via.node, via.nic, state]),
    powerOn: (node) => fault(['power', node, 'on']),
    // NOTE: the lab stands in for the operator's copy with an image file of its own.
    supplyFile: (node, path) => fault(['media', node, path]),
  };
}

/** Run a fence agent on this machine with its options on stdin; null when it is not installed here. */
async function runLocalAgent(a: PowerOnAgent): Promise<{ code: number | null; out: string } | null> {
  return new Promise((resolve) => {
    const child = spawn(a.agent, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ENOENT' ? null : { code: 1, out: e.message }));
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(a.stdin);
  });
}

/** Hands that ask the operator; a refusal stops the test (it is then recorded as not run). */
export function operatorHands(prompt: Prompter): OperatorHands {
  /** Nodes asked for in another node's "power on together" question: that question's answer. */
  const askedTogether = new Map<string, Promise<void>>();
  const ask = async (what: string) => {
    const ok = await prompt.confirm(`${what}\nDone?`, false);
    if (!ok)
      throw new AnvilError(
        `the operator did not: ${what}`,
        'run the test again when you can (resume), or do it by hand and confirm the checklist',
      );
  };
  return {
    kind: 'operator',
    cable: (node, nic, state, why) =>
      ask(
        `${state === 'down' ? 'Pull the cable of' : 'Plug the cable back into'} ${nic} on ${node}${why ? ` (${why})` : ''}.`,
      ),
    switchPower: (which, state, via) =>
      ask(
        `${state === 'down' ? 'Cut the power to' : 'Restore the power to'} the ${which} switch (the one ${via.nic} of ${via.node} is cabled to).`,
      ),
    supplyFile: (node, path) =>
      ask(
        `Copy ${path.split('/').pop()} to ${path} on ${node} (e.g. \`rsync -av ${path.split('/').pop()} root@${node}:${path.slice(0, path.lastIndexOf('/') + 1)}\`).`,
      ),
    async powerOn(node, agents, together) {
      // NOTE: the tutorial runs `fence_ipmilan ... -o on` from a workstation on the BCN (5313): this
      // machine, when it has the agents; otherwise the operator presses the button.
      const tried: string[] = [];
      for (const a of agents) {
        const r = await runLocalAgent(a);
        if (r === null) {
          tried.push(`${a.agent} is not installed here`);
          break;
        }
        if (r.code === 0) return;
        tried.push(`${a.shown}: ${r.out.trim() || `exit ${r.code}`}`);
      }
      // NOTE: nodes powered on together are asked for in one question, the first one's: the others
      // wait for its answer instead of asking again.
      const asked = askedTogether.get(node);
      if (asked) return asked;
      const others = (together?.nodes ?? []).filter((n) => n !== node);
      const question = ask(
        `Power on ${node}${others.length ? ` and ${others.join(' and ')} together` : ''} (${tried.length ? `${tried.join('; ')}; ` : ''}press ${others.length ? 'their power buttons' : 'its power button'}, or run ${agents.map((a) => `\`${a.shown}\``).join(' / ') || 'its BMC power-on'}${others.length ? ' and the same for the other node' : ''} from a machine on the BCN).${others.length ? `\nPower them on within ${together!.postJoinDelay} seconds of each other (post_join_delay): the slower node is fenced otherwise.` : ''}`,
      );
      for (const n of others) askedTogether.set(n, question);
      try {
        await question;
      } finally {
        for (const n of others) if (askedTogether.get(n) === question) askedTogether.delete(n);
      }
    },
  };
}
