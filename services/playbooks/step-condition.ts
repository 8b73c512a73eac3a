import { PermanentError } from '../core/errors.ts';

/**
 * Step conditions: a step's `when:` is a small boolean expression over what
 * is known when the step is reached. The step runs only when it is true; a
 * step whose condition is false is recorded as `skipped` with the values
 * the condition read. The language has no calls, no arithmetic and no
 * assignment, so a condition cannot do anything but read:
 *
 * - values: dotted paths (`anomaly.kind`, `steps.rollback.status`), with
 *   `["..."]` for a key that holds dots (`anomaly.attributes["zeroops.demand"]`);
 *   literals `"text"`, `'text'`, numbers, `true`, `false`, `null`; lists `[200, 202]`.
 * - operators, loosest first: `||`, `&&`, `!`, then one comparison
 *   `==`, `!=`, `<`, `<=`, `>`, `>=`, `in` (a member of a list, or a key of
 *   an object); parentheses group.
 * - a path that names nothing is `null`; `<`, `<=`, `>`, `>=` are false
 *   unless both sides are numbers; `!`, `&&`, `||` read `null`, `false`, `0`
 *   and `""` as false.
 *
 * Roots: `anomaly` (the anomaly the execution was decided on), `steps`
 * (`steps.<id>.ran|skipped|ok|status` of an earlier step), `deploy` (the
 * service's latest deployment: `ageSeconds`, `version`, `previousVersion`;
 * `null` when none was seen).
 */

/** The roots a condition may read. */
export const CONDITION_ROOTS = ['anomaly', 'steps', 'deploy'] as const;
/** What a condition may read of an earlier step. */
export const STEP_RESULT_FIELDS = ['ran', 'skipped', 'ok', 'status'] as const;
/** What a condition may read of the service's latest deployment. */
export const DEPLOY_FIELDS = ['ageSeconds', 'version', 'previousVersion'] as const;
/** Fields of the anomaly event (zeroops.v1.Anomaly, camelCase) a condition may read. */
export const ANOMALY_FIELDS = [
  'id',
  'service',
  'episodeId',
  'kind',
  'severity',
  'score',
  'likelihood',
  'evidence',
  'attributes',
  'rootCauses',
  'episodeState',
  'flapping',
  'modelVersion',
  'windowStartUnixMs',
  'windowEndUnixMs',
  'detectedUnixMs',
] as const;

/** Longest condition accepted, in characters. */
export const MAX_CONDITION_LENGTH = 1000;
const MAX_DEPTH = 32;

type Literal = string | number | boolean | null;
type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
/** A parsed condition. */
export type ConditionNode =
  | { lit: Literal }
  | { path: string[] }
  | { list: ConditionNode[] }
  | { not: ConditionNode }
  | { logic: '&&' | '||'; left: ConditionNode; right: ConditionNode }
  | { compare: CompareOp; left: ConditionNode; right: ConditionNode };

type Token = { t: 'op'; v: string; at: number } | { t: 'lit'; v: Literal; at: number } | { t: 'name'; v: string; at: number };

const invalid = (message: string) => new PermanentError('ZEROOPS_CONDITION_INVALID', message);

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ',', '.'];

function readString(src: string, at: number): { value: string; end: number } {
  const quote = src[at] as string;
  let out = '';
  for (let i = at + 1; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\' && i + 1 < src.length) {
      out += src[++i];
      continue;
    }
    if (c === quote) return { value: out, end: i + 1 };
    out += c;
  }
  throw invalid(`the string at offset ${at} is never closed`);
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const s = readString(src, i);
      out.push({ t: 'lit', v: s.value, at: i });
      i = s.end;
      continue;
    }
    const afterDot = out.at(-1)?.t === 'op' && out.at(-1)?.v === '.';
    // A path segment after a dot may start with a digit or hold a hyphen, as step ids do.
    const word = (afterDot ? /^[A-Za-z0-9_-]+/ : /^[A-Za-z_][A-Za-z0-9_-]*/).exec(src.slice(i));
    if (word) {
      const w = word[0];
      if (!afterDot && (w === 'true' || w === 'false')) out.push({ t: 'lit', v: w === 'true', at: i });
      else if (!afterDot && w === 'null') out.push({ t: 'lit', v: null, at: i });
      else if (!afterDot && w === 'in') out.push({ t: 'op', v: 'in', at: i });
      else out.push({ t: 'name', v: w, at: i });
      i += w.length;
      continue;
    }
    // A dot after a name or a key goes on the path (`steps.1st`), never starts a number.
    const prev = out.at(-1);
    const pathDot = c === '.' && (prev?.t === 'name' || (prev?.t === 'op' && prev.v === ']'));
    const num = pathDot ? null : /^-?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'lit', v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw invalid(`unexpected "${c}" at offset ${i}`);
    out.push({ t: 'op', v: op, at: i });
    i += op.length;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  parse(): ConditionNode {
    const node = this.or(0);
    const extra = this.tokens[this.i];
    if (extra) throw invalid(`unexpected "${this.text(extra)}" at offset ${extra.at}`);
    return node;
  }

  private text(t: Token): string {
    return t.t === 'lit' ? JSON.stringify(t.v) : t.v;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.tokens[this.i];
    return t?.t === 'op' && ops.includes(t.v) ? t.v : undefined;
  }

  private expect(op: string): void {
    if (this.peekOp(op)) {
      this.i++;
      return;
    }
    const t = this.tokens[this.i];
    throw invalid(t ? `expected "${op}" at offset ${t.at}, found "${this.text(t)}"` : `expected "${op}" at the end of "${this.src}"`);
  }

  private or(depth: number): ConditionNode {
    let left = this.and(depth);
    while (this.peekOp('||')) {
      this.i++;
      left = { logic: '||', left, right: this.and(depth) };
    }
    return left;
  }

  private and(depth: number): ConditionNode {
    let left = this.not(depth);
    while (this.peekOp('&&')) {
      this.i++;
      left = { logic: '&&', left, right: this.not(depth) };
    }
    return left;
  }

  private not(depth: number): ConditionNode {
    if (depth > MAX_DEPTH) throw invalid(`nested more than ${MAX_DEPTH} deep`);
    if (this.peekOp('!')) {
      this.i++;
      return { not: this.not(depth + 1) };
    }
    const left = this.primary(depth);
    const op = this.peekOp('==', '!=', '<', '<=', '>', '>=', 'in') as CompareOp | undefined;
    if (!op) return left;
    this.i++;
    return { compare: op, left, right: this.primary(depth) };
  }

  private primary(depth: number): ConditionNode {
    const t = this.tokens[this.i];
    if (!t) throw invalid(`"${this.src}" ends where a value is expected`);
    this.i++;
    if (t.t === 'lit') return { lit: t.v };
    if (t.t === 'name') return this.path(t.v);
    if (t.v === '(') {
      const inner = this.or(depth + 1);
      this.expect(')');
      return inner;
    }
    if (t.v === '[') return this.list(depth);
    throw invalid(`unexpected "${t.v}" at offset ${t.at}`);
  }

  private list(depth: number): ConditionNode {
    const items: ConditionNode[] = [];
    if (this.peekOp(']')) {
      this.i++;
      return { list: items };
    }
    for (;;) {
      items.push(this.primary(depth + 1));
      if (this.peekOp(',')) this.i++;
      else break;
    }
    this.expect(']');
    return { list: items };
  }

  private path(root: string): ConditionNode {
    const path = [root];
    for (;;) {
      if (this.peekOp('.')) {
        this.i++;
        const t = this.tokens[this.i++];
        if (t?.t !== 'name') throw invalid(`expected a name after "${path.join('.')}."`);
        path.push(t.v);
      } else if (this.peekOp('[')) {
        this.i++;
        const t = this.tokens[this.i++];
        if (t?.t !== 'lit' || typeof t.v !== 'string') throw invalid(`expected a quoted key after "${path.join('.')}["`);
        path.push(t.v);
        this.expect(']');
      } else return { path };
    }
  }
}

/** Parses a condition; throws ZEROOPS_CONDITION_INVALID (a PermanentError) describing the first syntax error. */
export function parseCondition(src: string): ConditionNode {
  if (src.length > MAX_CONDITION_LENGTH) throw invalid(`longer than ${MAX_CONDITION_LENGTH} characters`);
  return new Parser(tokenize(src), src).parse();
}

/** Every path a parsed condition reads. */
export function pathsOf(node: ConditionNode): string[][] {
  if ('path' in node) return [node.path];
  if ('list' in node) return node.list.flatMap(pathsOf);
  if ('not' in node) return pathsOf(node.not);
  if ('left' in node) return [...pathsOf(node.left), ...pathsOf(node.right)];
  return [];
}

const oneOf = (values: readonly string[]) => values.join(', ');

/** Why a path may not be read where `earlier` are the ids of the steps before this one; undefined when it may. */
function pathProblem(path: string[], earlier: readonly string[], later: readonly string[]): string | undefined {
  const [root, first, second] = path;
  const shown = path.join('.');
  if (!(CONDITION_ROOTS as readonly string[]).includes(root as string)) return `"${shown}": unknown root "${root}", expected one of ${oneOf(CONDITION_ROOTS)}`;
  if (first === undefined) return `"${shown}": name a field, e.g. ${root}.${root === 'steps' ? 'rollback.status' : root === 'deploy' ? 'ageSeconds' : 'kind'}`;
  if (root === 'anomaly' && !(ANOMALY_FIELDS as readonly string[]).includes(first))
    return `"${shown}": unknown anomaly field "${first}", expected one of ${oneOf(ANOMALY_FIELDS)}`;
  if (root === 'deploy' && (path.length > 2 || !(DEPLOY_FIELDS as readonly string[]).includes(first)))
    return `"${shown}": expected deploy.<${oneOf(DEPLOY_FIELDS)}>`;
  if (root !== 'steps') return undefined;
  if (!earlier.includes(first)) {
    return later.includes(first)
      ? `"${shown}": step "${first}" does not come before this one; a condition reads only earlier steps`
      : `"${shown}": unknown step id "${first}"`;
  }
  if (path.length !== 3 || !(STEP_RESULT_FIELDS as readonly string[]).includes(second as string))
    return `"${shown}": expected steps.${first}.<${oneOf(STEP_RESULT_FIELDS)}>`;
  return undefined;
}

/**
 * Problems of a step's condition (for validation on write): its syntax,
 * then every path it reads: a known root and field, and for `steps.<id>` a
 * step that comes before this one (`earlier`; `later` are the ids after it,
 * for a clearer message). Empty when the condition is fine.
 */
export function conditionProblems(src: string, earlier: readonly string[], later: readonly string[] = []): string[] {
  let node: ConditionNode;
  try {
    node = parseCondition(src);
  } catch (err) {
    return [(err as Error).message];
  }
  return pathsOf(node).flatMap((p) => pathProblem(p, earlier, later) ?? []);
}

/** What one earlier step did, as a condition reads it (`steps.<id>.*`). */
export interface StepResultView {
  /** The step was run (its condition held, or it had none). */
  ran: boolean;
  /** The step was skipped by its condition. */
  skipped: boolean;
  /** The step ran and succeeded. */
  ok: boolean;
  /** The HTTP status an http step's target answered; null for other steps and steps that did not run. */
  status: number | null;
}

/** The service's latest deployment as a condition reads it (`deploy.*`). */
export interface DeployView {
  /** Seconds since the deployment was first seen in telemetry, when the execution started. */
  ageSeconds: number;
  version: string;
  previousVersion: string | null;
}

/** Values a condition is evaluated with. */
export interface ConditionContext {
  anomaly: Record<string, unknown>;
  steps: Record<string, StepResultView>;
  deploy: DeployView | null;
}

/** Result of {@link evaluateCondition}: the verdict and each path read with its value (for the step's record). */
export interface ConditionResult {
  value: boolean;
  read: Record<string, unknown>;
}

function lookup(ctx: ConditionContext, path: string[]): unknown {
  let cur: unknown = ctx;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur ?? null;
}

const truthy = (v: unknown) => !(v === null || v === false || v === 0 || v === '' || v === undefined);

function equal(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  if (op === '==') return equal(a, b);
  if (op === '!=') return !equal(a, b);
  if (op === 'in') {
    if (Array.isArray(b)) return b.some((x) => equal(a, x));
    return typeof a === 'string' && b !== null && typeof b === 'object' && Object.hasOwn(b, a);
  }
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

function evaluate(node: ConditionNode, ctx: ConditionContext, read: Record<string, unknown>): unknown {
  if ('lit' in node) return node.lit;
  if ('path' in node) {
    const v = lookup(ctx, node.path);
    read[node.path.join('.')] = v;
    return v;
  }
  if ('list' in node) return node.list.map((n) => evaluate(n, ctx, read));
  if ('not' in node) return !truthy(evaluate(node.not, ctx, read));
  if ('logic' in node) {
    const left = truthy(evaluate(node.left, ctx, read));
    // Short-circuit: the record shows only what decided the verdict.
    if (node.logic === '&&' ? !left : left) return left;
    return truthy(evaluate(node.right, ctx, read));
  }
  return compare(node.compare, evaluate(node.left, ctx, read), evaluate(node.right, ctx, read));
}

/** Evaluates a condition (parsed, or its source) against `ctx`. Never throws on missing values (they are null); throws on a syntax error. */
export function evaluateCondition(cond: string | ConditionNode, ctx: ConditionContext): ConditionResult {
  const node = typeof cond === 'string' ? parseCondition(cond) : cond;
  const read: Record<string, unknown> = {};
  return { value: truthy(evaluate(node, ctx, read)), read };
}
