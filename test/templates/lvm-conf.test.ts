import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTemplate } from '../../src/engine/render.js';
import { DRBD_FILTER, editLvmConf, lvmSettings, clvm } from '../../steps/clvm.js';

const stock = renderTemplate('lvm/lvm.conf.ejs', {});
const edited = editLvmConf(stock);

const haveLvmconfig = spawnSync('sh', ['-c', 'command -v lvmconfig'], { encoding: 'utf8' }).status === 0;
if (!haveLvmconfig) console.warn('SKIP lvmconfig --validate tests: lvmconfig not installed (apt-get install lvm2)');

function lvmconfig(content: string, args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-lvm-'));
  try {
    writeFileSync(join(dir, 'lvm.conf'), content);
    return spawnSync('lvmconfig', args, { encoding: 'utf8', env: { ...process.env, LVM_SYSTEM_DIR: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lvm.conf edit', () => {
  it("makes exactly the tutorial's three changes to the stock EL6 file", () => {
    const a = stock.split('\n');
    const b = edited.split('\n');
    expect(b.length).toBe(a.length);
    const changed = a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y);
    expect(changed).toEqual([
      ['    # By default we accept every block device:', "    # We're only using LVM on DRBD resource."],
      ['    filter = [ "a/.*/" ]', '    filter = [ "a|/dev/drbd*|", "r/.*/" ]'],
      ['    locking_type = 1', '    locking_type = 3'],
      ['    fallback_to_local_locking = 1', '    fallback_to_local_locking = 0'],
    ]);
    // The tutorial's diff context lines are in the stock file around the changes.
    expect(stock).toContain("    # If it doesn't do what you expect, check the output of 'vgscan -vvvv'.\n\n\n    # By default we accept every block device:");
    expect(stock).toContain('    # Type 4 uses read-only locking which forbids any operations that might \n    # change metadata.\n    locking_type = 1\n\n    # Set to 0 to fail when a lock request cannot be satisfied immediately.\n    wait_for_locks = 1');
    expect(stock).toContain('    # Volume Groups marked as clustered will be ignored.\n    fallback_to_local_locking = 1\n\n    # Local non-LV directory that holds file-based locks while commands are');
  });

  it('is idempotent and reads back', () => {
    expect(editLvmConf(edited)).toBe(edited);
    expect(lvmSettings(edited)).toEqual({ filter: DRBD_FILTER, lockingType: '3', fallbackToLocal: '0' });
    expect(lvmSettings(stock)).toEqual({ filter: '[ "a/.*/" ]', lockingType: '1', fallbackToLocal: '1' });
  });

  it('works on a file without the settings or with two filter lines', () => {
    const bare = editLvmConf('devices {\n    dir = "/dev"\n}\nglobal {\n    umask = 077\n}\n');
    expect(lvmSettings(bare)).toEqual({ filter: DRBD_FILTER, lockingType: '3', fallbackToLocal: '0' });
    expect(editLvmConf(bare)).toBe(bare);
    const two = editLvmConf('devices {\n    filter = [ "a/.*/" ]\n    filter = [ "r/sdb/" ]\n}\n');
    expect(two.split('\n').filter((l) => /^\s*filter\s*=/.test(l))).toEqual([`    filter = ${DRBD_FILTER}`]);
    expect(two).toContain('    # filter = [ "r/sdb/" ]');
  });

  it('is the FileSpec of the clvm step (edit, orig backup)', () => {
    const f = clvm.tasks.find((t) => t.id === 'clvm.lvm-conf')!.files!({} as never, {} as never)[0];
    expect(f).toMatchObject({ path: '/etc/lvm/lvm.conf', template: 'lvm/lvm.conf.ejs', backup: 'orig' });
    expect(f.edit!(stock)).toBe(edited);
  });

  it.skipIf(!haveLvmconfig)('the stock and the edited file pass lvmconfig --validate; lvmconfig reads our values', () => {
    expect(lvmconfig(stock, ['--validate']).status).toBe(0);
    const r = lvmconfig(edited, ['--validate']);
    expect(r.status, r.stderr).toBe(0);
    const v = lvmconfig(edited, ['devices/filter', 'global/locking_type', 'global/fallback_to_local_locking']);
    expect(v.stdout.split('\n').filter(Boolean)).toEqual(['filter=["a|/dev/drbd*|","r/.*/"]', 'locking_type=3', 'fallback_to_local_locking=0']);
    expect(lvmconfig(edited.replace(/\}\s*$/, ''), ['--validate']).status).not.toBe(0);
  });
});
