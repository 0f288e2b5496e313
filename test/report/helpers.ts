/** Shared fixtures of the report and command tests: the two answers files and their secrets. */
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, maskAnswers, secretValues } from '../../src/plan/derive.js';

export const TUTORIAL = 'examples/tutorial.anvil.yaml';
export const OTHER = 'test/fixtures/other.anvil.yaml';
/** Distinctive secrets for the second cluster: they must never show up in anything a person reads. */
export const OTHER_ENV = { ILO_PW: 'Zq8-ilo-Secret', RICCI_PW: 'Rc1-ricci-Secret' };
export const OTHER_SECRETS = Object.values(OTHER_ENV);

/** Answers, real plan, masked plan and secrets of an answers file. */
export function plans(file: string, env: NodeJS.ProcessEnv = {}) {
  const answers = loadAnswers(file, env);
  return {
    answers,
    plan: derivePlan(answers),
    masked: derivePlan(maskAnswers(answers)),
    secrets: secretValues(answers),
  };
}

/** Positions of `needles` in `hay`, asserting each is found after the previous one. */
export function inOrder(hay: string, needles: string[]): { missing: string[]; outOfOrder: string[] } {
  let at = -1;
  const missing: string[] = [];
  const outOfOrder: string[] = [];
  for (const n of needles) {
    const i = hay.indexOf(n, at + 1);
    if (i < 0) (hay.includes(n) ? outOfOrder : missing).push(n);
    else at = i;
  }
  return { missing, outOfOrder };
}
