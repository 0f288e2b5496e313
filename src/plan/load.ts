/**
 * Load an answers file: YAML -> `${env:NAME}` secrets -> zod schema -> cross-field checks.
 * Every problem is collected and reported together (`AnswersInvalid`), never a stack trace.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AnvilError, AnswersInvalid, type AnswerIssue } from '../errors.js';
import { answersSchema, type Answers } from './schema.js';
import { crossChecks } from './checks.js';
import { secretValues } from './derive.js';
import { setOutputSecrets } from '../output.js';

/** Largest answers file read (the contract example is 6 kB). */
export const MAX_ANSWERS_BYTES = 1024 * 1024;
/** Deepest nesting of maps and lists accepted (the contract needs 6). */
export const MAX_DEPTH = 12;
/** Most YAML aliases (`*name`) expanded: a few are handy, thousands are an alias bomb. */
export const MAX_ALIASES = 100;

/** Paths nested deeper than MAX_DEPTH (reported once, at the first level too deep). */
function tooDeep(v: unknown, path: PropertyKey[] = [], depth = 0, out: AnswerIssue[] = []): AnswerIssue[] {
  if (out.length || !v || typeof v !== 'object') return out;
  if (depth >= MAX_DEPTH) {
    out.push({
      path: formatPath(path),
      message: `nested more than ${MAX_DEPTH} levels deep; the answers format is at most 6 levels: check the indentation`,
    });
    return out;
  }
  for (const [k, x] of Object.entries(v)) tooDeep(x, [...path, Array.isArray(v) ? Number(k) : k], depth + 1, out);
  return out;
}

// NOTE: C0 and C1 controls and DEL (XML 1.0 refuses most of them in cluster.conf; in a shell or a
// config line they end or change it), and the bidirectional controls (Unicode TR 9: LRE RLE PDF LRO
// RLO, LRI RLI FSI PDI, LRM RLM ALM), which make a value display otherwise than it is read.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\t]/;
const BIDI_RE = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Strings with a line break, a control or a bidirectional character: every value of the format is
 * written on one line of some file or command, and must read as it looks. NOTE: the message names
 * the character, never the value (it may be a password).
 */
function badCharacters(v: unknown, path: PropertyKey[] = [], out: AnswerIssue[] = []): AnswerIssue[] {
  if (typeof v === 'string') {
    const control = CONTROL_RE.exec(v)?.[0];
    const bidi = BIDI_RE.exec(v)?.[0];
    if (/[\r\n\0]/.test(v))
      out.push({
        path: formatPath(path),
        message: 'must be on one line (it is written into a one-line field of a file); remove the line break',
      });
    else if (control)
      out.push({
        path: formatPath(path),
        message: `holds the control character ${codePoint(control)}, which the files and commands it lands in cannot carry; remove it`,
      });
    else if (bidi)
      out.push({
        path: formatPath(path),
        message: `holds the invisible bidirectional character ${codePoint(bidi)}, which makes the text display otherwise than it reads; remove it`,
      });
  } else if (Array.isArray(v)) v.forEach((x, i) => badCharacters(x, [...path, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) badCharacters(x, [...path, k], out);
  return out;
}

const ENV_RE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Format a zod/js path as `nodes[1].nics.bcn[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Replace `${env:NAME}` in every string; a missing variable is an issue naming it and its path. */
export function resolveEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: PropertyKey[] = [],
  issues: AnswerIssue[] | null = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_RE, (whole, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        issues?.push({
          path: formatPath(path),
          message: `environment variable ${name} is not set; export ${name}=... or write the value in the file`,
        });
        // NOTE: keep the reference so the same field is not reported twice (e.g. as empty).
        return whole;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, env, [...path, i], issues));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnv(v, env, [...path, k], issues);
    return out;
  }
  return value;
}

function zodIssues(err: z.ZodError): AnswerIssue[] {
  const out: AnswerIssue[] = [];
  for (const i of err.issues) {
    const path = formatPath(i.path);
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys)
        out.push({
          path: path ? `${path}.${k}` : k,
          message: 'unknown key; check its spelling against `anvil-install schema`',
        });
      continue;
    }
    let message = i.message;
    if (i.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
    out.push({ path, message });
  }
  return out;
}

/** How strictly to load. */
export interface LoadOptions {
  /**
   * Leave an unset `${env:NAME}` as written instead of failing: for plan and runbook, which show
   * secrets masked anyway and must not need them.
   */
  secretsOptional?: boolean;
}

/** Validate an already-parsed answers object (from YAML or a test). Throws `AnswersInvalid`. */
export function validateAnswers(
  raw: unknown,
  source = 'answers',
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadOptions = {},
): Answers {
  const deep = tooDeep(raw);
  if (deep.length) throw new AnswersInvalid(source, deep);
  const issues: AnswerIssue[] = [];
  const resolved = resolveEnv(raw, env, [], opts.secretsOptional ? null : issues);
  const parsed = answersSchema.safeParse(resolved);
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  issues.push(...crossChecks(parsed.success ? parsed.data : resolved));
  // NOTE: one message per field: a line break the schema already refused is not reported twice.
  const reported = new Set(issues.map((i) => i.path));
  issues.push(...badCharacters(resolved).filter((i) => !reported.has(i.path)));
  // NOTE: the same field can trip the schema and a cross check; report each path+message once.
  const seen = new Set<string>();
  const unique = issues.filter((i) => (seen.has(i.path + i.message) ? false : (seen.add(i.path + i.message), true)));
  if (unique.length || !parsed.success) throw new AnswersInvalid(source, unique);
  const a = parsed.data;
  for (const n of a.nodes) if (!n.ssh.host) n.ssh.host = n.name;
  // NOTE: from here on, whatever prints a line masks these (an error quoting a command, a log line).
  setOutputSecrets(secretValues(a));
  return a;
}

/** Read, parse and validate an answers file. */
export function loadAnswers(file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Answers {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile())
      throw Object.assign(new Error('not a file'), { code: st.isDirectory() ? 'EISDIR' : 'not a regular file' });
    if (st.size > MAX_ANSWERS_BYTES)
      throw new AnswersInvalid(file, [
        { path: '(file)', message: `is ${st.size} bytes; an answers file is a few kB (at most ${MAX_ANSWERS_BYTES})` },
      ]);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof AnswersInvalid) throw e;
    throw new AnvilError(
      `cannot read answers file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      'pass --answers FILE; `anvil-install init` writes a commented one',
    );
  }
  let raw: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length) {
      throw new AnswersInvalid(
        file,
        doc.errors.map((e) =>
          /call stack/i.test(e.message)
            ? {
                path: '(file)',
                message:
                  'nested too deep to read (the answers format is at most 6 levels): check the brackets and indentation',
              }
            : { path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: `YAML syntax: ${e.message.split('\n')[0]}` },
        ),
      );
    }
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (e instanceof AnswersInvalid) throw e;
    // NOTE: the yaml library throws a ReferenceError for an alias bomb and a RangeError when the
    // nesting overflows its parser: both are the file's fault, not ours.
    const msg = String((e as Error)?.message ?? e);
    const why = /alias/i.test(msg)
      ? `too many YAML aliases (*name) expanded (more than ${MAX_ALIASES}): write the values out, or use fewer aliases`
      : e instanceof RangeError
        ? `nested too deep to read (the answers format is at most 6 levels): check the brackets and indentation`
        : `cannot be read as YAML: ${msg.split('\n')[0]}`;
    throw new AnswersInvalid(file, [{ path: '(file)', message: why }]);
  }
  return validateAnswers(raw, file, env, opts);
}
