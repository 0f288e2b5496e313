import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadAnswers } from '../../src/plan/load.js';
import { AnswersInvalid, AnvilError } from '../../src/errors.js';
import { answersJsonSchema } from '../../src/commands/schema.js';
import { initAnswersText, INIT_ENV } from '../../src/commands/init.js';
import { derivePlan } from '../../src/plan/derive.js';
import { runCli } from './run-cli.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'anvil-init-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ENV = { IPMI_PASSWORD: 'Ip9-init-pw', RICCI_PASSWORD: 'Ri7-init-pw' };

/** Every property name the answers JSON Schema declares, at any depth. */
function schemaKeys(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) schemaKeys(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) out.add(k);
    for (const v of Object.values(o)) schemaKeys(v, out);
  }
  return out;
}

describe('anvil-install init', () => {
  it("writes a file that loads with the passwords set, and is the tutorial's cluster", async () => {
    const file = join(tmp(), 'anvil.yaml');
    const { out, error } = await runCli(['init', '--out', file]);
    expect(error).toBeUndefined();
    expect(out).toContain(`Wrote ${file}`);
    expect(out).toContain(INIT_ENV.join(', '));
    const a = loadAnswers(file, ENV);
    const tutorial = loadAnswers('examples/tutorial.anvil.yaml', {});
    // Same cluster as the contract example, apart from where the passwords come from.
    const strip = (x: typeof a) =>
      JSON.parse(JSON.stringify(x).replaceAll(ENV.IPMI_PASSWORD, 'secret').replaceAll(ENV.RICCI_PASSWORD, 'secret'));
    // ...and the fence-peer handler: init writes the tool's default, rhcs_fence (issue 16 point 5)
    expect(a.storage.drbd).toMatchObject({ fenceHandler: 'rhcs_fence', fencePeer: '/sbin/rhcs_fence' });
    a.storage.drbd = { ...a.storage.drbd, fenceHandler: 'obliterate-peer', fencePeer: '/sbin/obliterate-peer.sh' };
    expect(strip(a)).toEqual(strip(tutorial));
    expect(a.fencing.devices[0].passwd).toBe(ENV.IPMI_PASSWORD);
    expect(a.ricci.password).toBe(ENV.RICCI_PASSWORD);
    expect(derivePlan(a).vms.map((v) => v.lvPath)).toHaveLength(4);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('holds no password in clear: without the variables it names each one', () => {
    const file = join(tmp(), 'a.yaml');
    writeFileSync(file, initAnswersText());
    let issues: string[] = [];
    try {
      loadAnswers(file, {});
    } catch (e) {
      if (!(e instanceof AnswersInvalid)) throw e;
      issues = e.issues.map((i) => `${i.path}: ${i.message.split(';')[0]}`);
    }
    expect(issues).toEqual([
      'fencing.devices[0].passwd: environment variable IPMI_PASSWORD is not set',
      'fencing.devices[1].passwd: environment variable IPMI_PASSWORD is not set',
      'ricci.password: environment variable RICCI_PASSWORD is not set',
    ]);
  });

  it('mentions every key of the answers schema (set, or commented out with its meaning)', () => {
    const text = initAnswersText();
    const missing = [...schemaKeys(answersJsonSchema())].filter(
      (k) => !new RegExp(`(^|[\\s{,#])${k}:`, 'm').test(text),
    );
    expect(missing).toEqual([]);
    // Commented-out keys are valid YAML once uncommented (no typos in what we tell people to write).
    for (const line of text
      .split('\n')
      .filter((l) => /^\s*# (hostKey|password|privateKey|linbitHash|freeStart|diskBus|arch|cdrom|floppy): /.test(l)))
      expect(() => parse(line.replace('# ', '').split('   #')[0].trim())).not.toThrow();
  });

  it('refuses to overwrite without --force', async () => {
    const file = join(tmp(), 'anvil.yaml');
    writeFileSync(file, 'mine\n');
    const { error } = await runCli(['init', '--out', file]);
    expect(error).toBeInstanceOf(AnvilError);
    expect((error as AnvilError).message).toBe(`${file} already exists`);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect((await runCli(['init', '--out', file, '--force'])).error).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(initAnswersText(file));
  });

  it('prints the file with --out -', async () => {
    const { out } = await runCli(['init', '--out', '-']);
    expect(out).toBe(initAnswersText());
  });

  it('has help with an example', async () => {
    const { out } = await runCli(['init', '--help']);
    expect(out).toContain('$ anvil-install init --out anvil.yaml');
  });
});
