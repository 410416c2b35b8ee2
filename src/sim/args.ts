/** A small Commander-like option parser: errors are plain text, as imsg prints them. */
export interface OptionSpec {
  /** Canonical long name without dashes, e.g. `db`. */
  name: string;
  aliases?: string[];
  short?: string;
  takesValue: boolean;
}

export interface ParsedArgs {
  values: Map<string, string | true>;
  lists: Map<string, string[]>;
  positionals: string[];
}

export class ArgError extends Error {}

export function parseArgs(argv: string[], specs: OptionSpec[]): ParsedArgs {
  const byFlag = new Map<string, OptionSpec>();
  for (const s of specs) {
    byFlag.set(`--${s.name}`, s);
    for (const a of s.aliases ?? []) byFlag.set(`--${a}`, s);
    if (s.short) byFlag.set(`-${s.short}`, s);
  }
  const values = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!tok.startsWith('-') || tok === '-') {
      positionals.push(tok);
      continue;
    }
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
    const flag = eq === -1 ? tok : tok.slice(0, eq);
    const spec = byFlag.get(flag);
    if (!spec) throw new ArgError(`Unknown option: ${flag}`);
    if (!spec.takesValue) {
      if (eq !== -1) throw new ArgError(`Unknown option: ${tok}`);
      values.set(spec.name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = tok.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new ArgError(`Missing value for option: ${flag}`);
      }
      i++;
    }
    values.set(spec.name, value);
    const list = lists.get(spec.name) ?? [];
    list.push(value);
    lists.set(spec.name, list);
  }
  return { values, lists, positionals };
}

export function str(p: ParsedArgs, name: string): string | undefined {
  const v = p.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flag(p: ParsedArgs, name: string): boolean {
  return p.values.has(name);
}

export function intArg(p: ParsedArgs, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new ArgError(`Invalid value for option: --${name}`);
  return Number(v);
}
