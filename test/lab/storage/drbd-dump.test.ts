/**
 * `drbdadm dump` against the tutorial's capture (2472–2540) and against the real DRBD 8.3 parser
 * (Debian's drbdadm-83 through ../shared/validators/drbd83-check.sh; skipped when absent or not root).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../../helpers/temp.js';
import { join } from 'node:path';
import { answers, installStorage, run, storageWorld } from './setup.js';
import { derivePlan } from '../../../src/plan/derive.js';
import { drbdFiles } from '../../../steps/drbd-config.js';
import { renderFile } from '../../../src/engine/render.js';
import { sharedFile } from '../../helpers/shared.js';
import { tutorial } from '../helpers.js';

const CHECK = sharedFile('validators', 'drbd83-check.sh').path;
const canRunReal = existsSync(CHECK) && existsSync('/lib/drbd/drbdadm-83') && process.getuid?.() === 0;

async function labDump(file: string) {
  const a = answers(file);
  const w = await storageWorld(a, { clusterUp: false });
  const p = derivePlan(a, { freeStart: '47.5GB' });
  const n = w.nodes[a.nodes[0].name];
  await installStorage(n);
  const files = drbdFiles(p).map((f) => ({ path: f.path, text: renderFile(f, p, p.nodes[0]) }));
  for (const f of files) n.fs.writeFile(f.path, f.text);
  const r = await run(n, 'drbdadm dump');
  return { a, n, files, dump: r.out, code: r.code };
}

describe('drbdadm dump', () => {
  it("prints the tutorial's normalised configuration (2472–2540)", async () => {
    const { dump, code } = await labDump('examples/tutorial.anvil.yaml');
    expect(code).toBe(0);
    if (!tutorial) return;
    const want = [
      tutorial[2471].slice('drbdadm dump'.length),
      ...tutorial.slice(2472, 2539),
      tutorial[2539].replace(/^\}.*$/, '}'),
    ];
    // The wiki copy lost the blank lines between resources and has a no-break space before " ; reboot".
    expect(dump.split('\n').filter((l) => l !== '')).toEqual(want.map((l) => l.replace(/\u00a0/g, ' ')));
  });

  it.skipIf(!canRunReal)('equals the real DRBD 8.3 parser on both example clusters', async () => {
    for (const file of ['examples/tutorial.anvil.yaml', 'test/fixtures/other.anvil.yaml']) {
      const { a, files, dump } = await labDump(file);
      const dir = tempDir('anvil-drbd83-');
      mkdirSync(join(dir, 'drbd.d'));
      for (const f of files) writeFileSync(join(dir, f.path.slice('/etc/'.length)), f.text);
      writeFileSync(
        join(dir, 'drbd.conf'),
        `include "${dir}/drbd.d/global_common.conf";\ninclude "${dir}/drbd.d/*.res";\n`,
      );
      const real = execFileSync(
        'sh',
        [CHECK, join(dir, 'drbd.conf'), `${a.nodes[0].name}.${a.cluster.domain}`, a.nodes[0].sn, 'dump', 'all'],
        { encoding: 'utf8' },
      );
      expect(dump.split('\n').slice(1)).toEqual(real.split('\n').slice(1));
    }
  });

  it('refuses a broken configuration with the file and line', async () => {
    const { n } = await labDump('examples/tutorial.anvil.yaml');
    n.fs.writeFile('/etc/drbd.d/r9.res', 'resource r9 {\n\tdevice /dev/drbd9;\n\tbogus-option yes;\n}\n');
    const r = await run(n, 'drbdadm dump');
    expect(r.code).toBe(10);
    expect(r.err).toBe("drbdadm: /etc/drbd.d/r9.res:3: Parse error: 'bogus-option' unexpected in resource r9\n");
    n.fs.writeFile(
      '/etc/drbd.d/r9.res',
      n.fs.readText('/etc/drbd.d/r0.res').replace('resource r0', 'resource r9').replace(/drbd0/g, 'drbd9'),
    );
    const dup = await run(n, 'drbdadm dump');
    expect(dup.code).toBe(10);
    expect(dup.err).toContain('is already used in resource r0');
  });
});
