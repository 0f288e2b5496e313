/**
 * Operator hands: what only a person can do during the tutorial's tests (pull a cable, power a
 * switch off and on). On real hardware the operator is asked to do it; the test that asked then
 * confirms by its effect that it was done, and done to the right cable. On the lab, the lab's faults
 * are the hands. One interface, so a test is written once for both.
 */
import type { Prompter } from './types.js';
import { AnvilError } from '../errors.js';

/** Which switch: the one the primary links go to, or the one the backup links go to. */
export type SwitchRole = 'primary' | 'secondary';

/** Hands for the tests a gate drives. */
export interface OperatorHands {
  /** `lab`: faults are injected; `operator`: a person acts when asked. */
  readonly kind: 'lab' | 'operator';
  /** Unplug (`down`) or plug back (`up`) the cable of a node's NIC. */
  cable(node: string, nic: string, state: 'up' | 'down', why?: string): Promise<void>;
  /** Cut (`down`) or restore (`up`) the power of a switch. */
  switchPower(which: SwitchRole, state: 'up' | 'down'): Promise<void>;
}

/** Hands that inject the lab's faults (`fault` takes the words of `anvil-install lab fault ...`). */
export function labHands(fault: (words: string[]) => Promise<void>): OperatorHands {
  return {
    kind: 'lab',
    cable: (node, nic, state) => fault(['cable', node, nic, state]),
    // NOTE: the lab cables link 1 of every bond to sw1 and link 2 to sw2.
    switchPower: (which, state) => fault(['switch', which === 'primary' ? 'sw1' : 'sw2', state]),
  };
}

/** Hands that ask the operator; a refusal stops the test (it is then recorded as not run). */
export function operatorHands(prompt: Prompter): OperatorHands {
  const ask = async (what: string) => {
    const ok = await prompt.confirm(`${what}\nDone?`, false);
    if (!ok) throw new AnvilError(`the operator did not: ${what}`, 'run the test again when you can (resume), or do it by hand and confirm the checklist');
  };
  return {
    kind: 'operator',
    cable: (node, nic, state, why) => ask(`${state === 'down' ? 'Pull the cable of' : 'Plug the cable back into'} ${nic} on ${node}${why ? ` (${why})` : ''}.`),
    switchPower: (which, state) => ask(`${state === 'down' ? 'Cut the power to' : 'Restore the power to'} the ${which} switch.`),
  };
}
