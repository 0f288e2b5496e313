/**
 * No import cycles among src/ and steps/ modules, runtime imports or type-only ones: a reader can
 * follow a module's dependencies one way, and the order of imports decides nothing. Reads the sources
 * (fast: no compile), as `npm run cycles` does after a build.
 */
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from '../../src/bench/import-cycles.js';

describe('import cycles', () => {
  it('finds a cycle when there is one (the check is not vacuous)', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('src/ and steps/ have none, runtime imports or type-only ones', () => {
    const runtime = importGraph(process.cwd(), ['src', 'steps']);
    const withTypes = importGraph(process.cwd(), ['src', 'steps'], true);
    expect(runtime.size).toBeGreaterThan(200);
    expect(withTypes.get('src/lab/world/world.ts')).toContain('src/lab/node/node.ts');
    expect(cycles(runtime)).toEqual([]);
    expect(cycles(withTypes)).toEqual([]);
  });
});
