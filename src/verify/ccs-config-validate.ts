/**
 * Reading of `ccs_config_validate`: prints `Configuration validates` and exits 0 when
 * /etc/cluster/cluster.conf passes the RelaxNG schema, or the xmllint errors followed by
 * `Configuration fails to validate` and a non-zero exit otherwise.
 */

/** The verdict and the lines that explain it. */
export interface CcsValidation {
  valid: boolean;
  /** The error lines (empty when valid). */
  errors: string[];
}

/** Interpret the output (stdout + stderr) and exit code of `ccs_config_validate`. */
export function parseCcsValidate(output: string, code: number | null): CcsValidation {
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  const says = lines.some((l) => /^Configuration validates\s*$/.test(l));
  const valid = code === 0 && says;
  return { valid, errors: valid ? [] : lines.filter((l) => !/^Configuration validates\s*$/.test(l)) };
}
