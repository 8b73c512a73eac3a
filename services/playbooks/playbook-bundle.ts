import { parseAllDocuments } from 'yaml';
import { PermanentError } from '../core/errors.ts';
import { assertPlainData } from '../core/plain-data.ts';
import type { Playbook, PlaybookProblem } from './playbook-schema.ts';
import { parseDocument, type ValidationContext, validatePlaybook } from './playbook-validate.ts';

/** Most playbooks one bundle may hold. */
export const MAX_BUNDLE = 500;

/**
 * A playbook write body (YAML or JSON text, or an already parsed JSON body)
 * as data, checked for NUL characters and depth before the validator walks it.
 * Throws 400 `ZEROOPS_PLAYBOOK_INVALID` (syntax) or `ZEROOPS_REQUEST_INVALID` (shape).
 */
export function parsePlaybookBody(body: unknown): unknown {
  return assertPlainData(parseDocument(body));
}

function invalidYaml(message: string, cause?: unknown): PermanentError {
  return new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `not valid YAML: ${message}`, { cause, details: [{ path: '/', message }] });
}

/** Every document of a multi-document YAML bundle, each with aliases bounded as for single documents. */
function parseYamlDocuments(body: string): unknown[] {
  const docs = parseAllDocuments(body);
  if (!Array.isArray(docs)) return [];
  if (docs.length > MAX_BUNDLE) throw invalidYaml(`a bundle holds at most ${MAX_BUNDLE} documents, got ${docs.length}`);
  return docs.map((d, i) => {
    if (d.errors.length > 0) throw invalidYaml(`document ${i}: ${d.errors[0]?.message}`);
    try {
      return assertPlainData(d.toJS({ maxAliasCount: 100 }), `body/playbooks/${i}`);
    } catch (err) {
      if (err instanceof PermanentError) throw err;
      throw invalidYaml(`document ${i}: ${(err as Error).message.split('\n')[0]}`, err);
    }
  });
}

/**
 * The playbook documents of a bundle (GitOps apply body): YAML documents
 * separated by `---`, a JSON or YAML list, or `{"playbooks": [...]}`; at most
 * {@link MAX_BUNDLE}. The documents are not validated yet (see {@link validateBundle}).
 */
export function parseBundle(body: unknown): unknown[] {
  if (typeof body === 'string' && body.includes('\n---')) return parseYamlDocuments(body);
  const doc = parsePlaybookBody(body);
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? (doc as { playbooks?: unknown }).playbooks : undefined;
  if (!Array.isArray(list)) {
    throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', 'a bundle is a list of playbooks, {"playbooks": [...]}, or YAML documents separated by ---', {
      details: [{ path: '/', message: 'expected a list of playbooks' }],
    });
  }
  if (list.length > MAX_BUNDLE) {
    throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `a bundle holds at most ${MAX_BUNDLE} playbooks, got ${list.length}`, {
      details: [{ path: '/playbooks', message: `at most ${MAX_BUNDLE} playbooks` }],
    });
  }
  return list;
}

/**
 * Validates every document of a bundle and refuses duplicate names. Returns
 * the normalized playbooks in bundle order; throws 400 `ZEROOPS_PLAYBOOK_INVALID`
 * listing every problem (paths under `/playbooks/<index>`).
 */
export function validateBundle(docs: unknown[], ctx: ValidationContext): Playbook[] {
  const problems: PlaybookProblem[] = [];
  const out: Playbook[] = [];
  const names = new Set<string>();
  for (const [i, d] of docs.entries()) {
    const r = validatePlaybook(d, ctx);
    if (!r.ok) {
      problems.push(...r.problems.map((p) => ({ path: `/playbooks/${i}${p.path === '/' ? '' : p.path}`, message: p.message })));
      continue;
    }
    if (names.has(r.playbook.name)) problems.push({ path: `/playbooks/${i}/name`, message: `duplicate name "${r.playbook.name}" in the bundle` });
    names.add(r.playbook.name);
    out.push(r.playbook);
  }
  if (problems.length > 0) {
    const summary = problems
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ');
    throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `bundle is invalid (${problems.length} problem(s)): ${summary}`, { details: problems });
  }
  return out;
}
