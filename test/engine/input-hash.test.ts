import { describe, expect, it } from 'vitest';
import { inputHash } from '../../src/engine/input-hash.js';
import { nodesFor } from '../../src/engine/types.js';
import { allTasks } from '../../src/engine/walk.js';
import { derivePlan, secretValues } from '../../src/plan/derive.js';
import { loadAnswers } from '../../src/plan/load.js';
import { STEPS } from '../../steps/index.js';
import { syntheticSteps, testAnswers } from '../helpers/synthetic-steps.js';

const tutorial = () => loadAnswers('examples/tutorial.anvil.yaml', {});

describe('input hash', () => {
  it('is computable and stable for every real task on every node it runs on', () => {
    const a = tutorial();
    const p1 = derivePlan(a);
    const p2 = derivePlan(tutorial());
    const s = secretValues(a);
    let n = 0;
    for (const { task } of allTasks(STEPS))
      for (const node of task.on === 'local' ? [undefined] : nodesFor(p1, task.on)) {
        const h = inputHash(task, p1, node, s);
        expect(h).toMatch(/^[0-9a-f]{64}$/);
        expect(inputHash(task, p2, node && p2.node(node.name), s)).toBe(h);
        n++;
      }
    console.info(`input hash: ${n} task/node pairs of the real steps`);
  });

  it('changes with the rendered inputs, not with a secret (secrets are masked before hashing)', () => {
    const [prep] = syntheticSteps();
    const conf = prep.tasks[1];
    const a = testAnswers();
    const p = derivePlan(a);
    const h = inputHash(conf, p, p.nodes[0], secretValues(a));
    expect(inputHash(conf, p, p.nodes[1], secretValues(a))).not.toBe(h);
    const renamed = testAnswers((x) => (x.cluster.name = 'other'));
    expect(inputHash(conf, derivePlan(renamed), derivePlan(renamed).nodes[0], secretValues(renamed))).not.toBe(h);
    const newPw = testAnswers((x) => (x.ricci.password = 'An0ther-S3cret!'));
    expect(inputHash(conf, derivePlan(newPw), derivePlan(newPw).nodes[0], secretValues(newPw))).toBe(h);
  });
});
