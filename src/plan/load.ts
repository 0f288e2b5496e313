/**
 * Load an answers file: YAML -> `${env:NAME}` secrets -> zod schema -> cross-field checks.
 * Every problem is collected and reported together (`AnswersInvalid`), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AnvilError, AnswersInvalid, type AnswerIssue } from '../errors.js';
import { answersSchema, type Answers } from './schema.js';
import { crossChecks } from './checks.js';

const ENV_RE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Format a zod/js path as `nodes[1].nics.bcn[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** Replace `${env:NAME}` in every string; a missing variable is an issue naming it and its path. */
export function resolveEnv(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[] = [], issues: AnswerIssue[] | null = []): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_RE, (whole, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        issues?.push({ path: formatPath(path), message: `environment variable ${name} is not set; export ${name}=... or write the value in the file` });
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
      for (const k of i.keys) out.push({ path: path ? `${path}.${k}` : k, message: 'unknown key; check its spelling against `anvil-install schema`' });
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
export function validateAnswers(raw: unknown, source = 'answers', env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Answers {
  const issues: AnswerIssue[] = [];
  const resolved = resolveEnv(raw, env, [], opts.secretsOptional ? null : issues);
  const parsed = answersSchema.safeParse(resolved);
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  issues.push(...crossChecks(parsed.success ? parsed.data : resolved));
  // NOTE: the same field can trip the schema and a cross check; report each path+message once.
  const seen = new Set<string>();
  const unique = issues.filter((i) => (seen.has(i.path + i.message) ? false : (seen.add(i.path + i.message), true)));
  if (unique.length || !parsed.success) throw new AnswersInvalid(source, unique);
  const a = parsed.data;
  for (const n of a.nodes) if (!n.ssh.host) n.ssh.host = n.name;
  return a;
}

/** Read, parse and validate an answers file. */
export function loadAnswers(file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Answers {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AnvilError(`cannot read answers file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'pass --answers FILE; `anvil-install init` writes a commented one');
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new AnswersInvalid(
      file,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: `YAML syntax: ${e.message.split('\n')[0]}` })),
    );
  }
  return validateAnswers(doc.toJS(), file, env, opts);
}
