/**
 * The API bad-input table: every case must answer the given 4xx with a
 * stable code and a message naming the offending field or value.
 */

/** One bad request and what it must get. */
export interface BadInputCase {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  payload?: string | object;
  status: number;
  code: string;
  /** Must appear in error.message (the field, path or value at fault). */
  mention: string | RegExp;
}

/** Id of the playbook the suite seeds (name `seed-pb`). */
export const SEED = 'seed-pb';
const PB = `/api/v1/playbooks/${SEED}`;
const NUL = '%00';
const json = { 'content-type': 'application/json' };
const yaml = { 'content-type': 'application/yaml' };

/** A valid playbook, optionally changed. */
export function playbook(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'bad-input-pb',
    mode: 'observe',
    match: { service: 'api-*' },
    steps: [{ id: 'restart', type: 'http', http: { method: 'POST', url: 'https://ops.example.com/restart' } }],
    ...over,
  };
}

function nested(depth: number): object {
  let v: object = { leaf: true };
  for (let i = 0; i < depth; i++) v = { n: v };
  return v;
}

const BILLION_LAUGHS = [
  'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'name: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]',
].join('\n');
const pbYaml = (name: string) => `name: ${name}\nmode: observe\nmatch:\n  service: "a*"\nsteps:\n  - id: w\n    type: wait\n    wait: { seconds: 1 }\n`;

const pathIds = (id: string): [string, BadInputCase['method'], string, object?][] => [
  ['GET playbook', 'GET', `/api/v1/playbooks/${id}`],
  ['PUT playbook', 'PUT', `/api/v1/playbooks/${id}`, playbook()],
  ['DELETE playbook', 'DELETE', `/api/v1/playbooks/${id}`],
  ['GET versions', 'GET', `/api/v1/playbooks/${id}/versions`],
  ['POST dry-run', 'POST', `/api/v1/playbooks/${id}/dry-run`, {}],
  ['GET anomaly', 'GET', `/api/v1/anomalies/${id}`],
  ['GET execution', 'GET', `/api/v1/executions/${id}`],
  ['POST approve', 'POST', `/api/v1/executions/${id}/approve`],
  ['POST reject', 'POST', `/api/v1/executions/${id}/reject`, {}],
  ['POST cancel', 'POST', `/api/v1/executions/${id}/cancel`],
  ['GET change', 'GET', `/api/v1/changes/${id}`],
  ['POST change run-now', 'POST', `/api/v1/changes/${id}/run-now`],
  ['POST change cancel', 'POST', `/api/v1/changes/${id}/cancel`],
];

const nulIds: BadInputCase[] = pathIds(`a${NUL}b`).map(([n, method, url, payload]) => ({
  name: `NUL in path id: ${n}`,
  method,
  url,
  payload,
  status: 400,
  code: 'ZEROOPS_REQUEST_INVALID',
  mention: 'id',
}));
const longIds: BadInputCase[] = pathIds('x'.repeat(201))
  .slice(0, 4)
  .map(([n, method, url, payload]) => ({ name: `201-char path id: ${n}`, method, url, payload, status: 400, code: 'ZEROOPS_REQUEST_INVALID', mention: 'id' }));
const unknownIds: BadInputCase[] = pathIds('no-such-thing').map(([n, method, url, payload]) => ({
  name: `unknown id: ${n}`,
  method,
  url,
  payload,
  status: 404,
  code: 'ZEROOPS_NOT_FOUND',
  mention: 'no-such-thing',
}));

const q = (name: string, url: string, mention: string): BadInputCase => ({ name, method: 'GET', url, status: 400, code: 'ZEROOPS_REQUEST_INVALID', mention });
const queries: BadInputCase[] = [
  q('NUL in anomalies service', `/api/v1/anomalies?service=a${NUL}`, 'service'),
  q('NUL in anomalies episode', `/api/v1/anomalies?episode=${NUL}`, 'episode'),
  q('NUL in incidents service', `/api/v1/incidents?service=x${NUL}y`, 'service'),
  q('NUL in executions service', `/api/v1/executions?service=${NUL}`, 'service'),
  q('NUL in executions status', `/api/v1/executions?status=running${NUL}`, 'status'),
  q('NUL in executions outcome', `/api/v1/executions?outcome=${NUL}`, 'outcome'),
  q('since: leap second', '/api/v1/anomalies?since=2016-12-31T23:59:60Z', 'since'),
  q('since: year 0', '/api/v1/anomalies?since=0000-01-01T00:00:00Z', 'since'),
  q('since: 30 February', '/api/v1/anomalies?since=2026-02-30T00:00:00Z', 'since'),
  q('since: 29 February of a common year', '/api/v1/anomalies?since=2026-02-29T00:00:00Z', 'since'),
  q('since: month 13', '/api/v1/anomalies?since=2026-13-01T00:00:00Z', 'since'),
  q('since: hour 24', '/api/v1/anomalies?since=2026-01-01T24:00:00Z', 'since'),
  q('since: a word', '/api/v1/anomalies?since=yesterday', 'since'),
  q('since: empty', '/api/v1/anomalies?since=', 'since'),
  q('since: year 10000 in UTC', '/api/v1/anomalies?since=9999-12-31T23:59:59-01:00', 'since'),
  q('since: date only', '/api/v1/anomalies?since=2026-01-01', 'since'),
  q('since: no offset', '/api/v1/anomalies?since=2026-01-01T00:00:00', 'since'),
  q('since: epoch number', '/api/v1/anomalies?since=1767225600000', 'since'),
  q('since: NUL', `/api/v1/anomalies?since=2026-01-01T00:00:00Z${NUL}`, 'since'),
  q('limit 0', '/api/v1/anomalies?limit=0', 'limit'),
  q('limit negative', '/api/v1/anomalies?limit=-5', 'limit'),
  q('limit a word', '/api/v1/anomalies?limit=ten', 'limit'),
  q('limit too large', '/api/v1/anomalies?limit=1001', 'limit'),
  q('limit fractional', '/api/v1/anomalies?limit=1.5', 'limit'),
  q('limit beyond double range', '/api/v1/anomalies?limit=1e400', 'limit'),
  q('anomaly state unknown', '/api/v1/anomalies?state=maybe', 'state'),
  q('incident state unknown', '/api/v1/incidents?state=ongoing', 'state'),
  q('incident limit 0', '/api/v1/incidents?limit=0', 'limit'),
  q('executions limit too large', '/api/v1/executions?limit=501', 'limit'),
  q('changes limit too large', '/api/v1/changes?limit=501', 'limit'),
  q('changes state unknown', '/api/v1/changes?state=done', 'state'),
  q('executions limit a word', '/api/v1/executions?limit=all', 'limit'),
];

const prune = (v: string): BadInputCase => ({
  name: `apply with prune=${v}`,
  method: 'POST',
  url: `/api/v1/playbooks/apply?prune=${v}`,
  payload: [],
  status: 400,
  code: 'ZEROOPS_REQUEST_INVALID',
  mention: 'prune',
});
const prunes = ['0', '1', 'yes', 'no', '', 'FALSE', 'off', `false${NUL}`].map(prune);

const body = (
  name: string,
  method: BadInputCase['method'],
  url: string,
  payload: string | object,
  mention: string | RegExp,
  extra: Partial<BadInputCase> = {},
) => ({ name, method, url, payload, status: 400, code: 'ZEROOPS_REQUEST_INVALID', mention, ...extra }) satisfies BadInputCase;
const invalidPb = { code: 'ZEROOPS_PLAYBOOK_INVALID' };
const steps = (p: Record<string, unknown>) => [{ id: 'restart', type: 'http', http: { method: 'POST', url: 'https://ops.example.com/restart', ...p } }];

const nulBodies: BadInputCase[] = [
  body('NUL in playbook name', 'POST', '/api/v1/playbooks', playbook({ name: 'a\u0000b' }), '/name'),
  body('NUL in description', 'POST', '/api/v1/playbooks', playbook({ description: '\u0000' }), '/description'),
  body('NUL in step url', 'POST', '/api/v1/playbooks', playbook({ steps: steps({ url: 'https://x.example/\u0000' }) }), '/steps/0/http/url'),
  body('NUL in header value', 'POST', '/api/v1/playbooks', playbook({ steps: steps({ headers: { a: '\u0000' } }) }), '/steps/0/http/headers/a'),
  body('NUL in a key', 'POST', '/api/v1/playbooks', playbook({ match: { service: 'a*', attributes: { 'k\u0000': 'v' } } }), '/match/attributes'),
  body('NUL in match glob on validate', 'POST', '/api/v1/playbooks/validate', playbook({ match: { service: 'a\u0000*' } }), '/match/service'),
  body('NUL in playbook on PUT', 'PUT', PB, playbook({ name: SEED, description: 'x\u0000' }), '/description'),
  body('NUL escape in YAML', 'POST', '/api/v1/playbooks', pbYaml('"nul\\0name"'), '/name', { headers: yaml }),
  body('NUL in a bundle member', 'POST', '/api/v1/playbooks/apply', [playbook({ name: 'n\u0000' })], '/0/name'),
  body('NUL in a YAML bundle document', 'POST', '/api/v1/playbooks/apply', `${pbYaml('ok-one')}---\n${pbYaml('"x\\0"')}`, '/name', { headers: yaml }),
  body('NUL in dry-run anomaly service', 'POST', `${PB}/dry-run`, { anomaly: { service: 'a\u0000' } }, '/anomaly/service'),
  body('NUL in dry-run anomalyId', 'POST', `${PB}/dry-run`, { anomalyId: '\u0000' }, '/anomalyId'),
  body('NUL in reject note', 'POST', '/api/v1/executions/x/reject', { note: 'no\u0000' }, '/note'),
];

const deepJson = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deep: BadInputCase[] = [
  body('40-deep object on create', 'POST', '/api/v1/playbooks', playbook({ description: nested(40) }), 'nested'),
  body('40-deep object on validate', 'POST', '/api/v1/playbooks/validate', playbook({ match: nested(40) }), 'nested'),
  body('40-deep object on PUT', 'PUT', PB, playbook({ name: SEED, guardrails: nested(40) }), 'nested'),
  body('40-deep bundle', 'POST', '/api/v1/playbooks/apply', [nested(40)], 'nested'),
  body('40-deep dry-run body', 'POST', `${PB}/dry-run`, { anomaly: { attributes: nested(40) } }, 'nested'),
  body('100k-deep JSON array on create', 'POST', '/api/v1/playbooks', deepJson(100_000), /nested|JSON/, { headers: json }),
  body('100k-deep JSON array on validate', 'POST', '/api/v1/playbooks/validate', deepJson(100_000), /nested|JSON/, { headers: json }),
  body('10k-deep YAML flow sequence', 'POST', '/api/v1/playbooks', deepJson(10_000), /nested|YAML/, { headers: yaml, ...invalidPb }),
];

const huge: BadInputCase[] = [
  body(
    '51 steps',
    'POST',
    '/api/v1/playbooks',
    playbook({ steps: Array.from({ length: 51 }, (_, i) => ({ id: `s${i}`, type: 'wait', wait: { seconds: 1 } })) }),
    '/steps',
    invalidPb,
  ),
  body('20k kinds', 'POST', '/api/v1/playbooks/validate', playbook({ match: { service: 'a*', kinds: Array(20_000).fill('latency') } }), '/match/kinds'),
  body(
    '20k kinds in YAML',
    'POST',
    '/api/v1/playbooks',
    `name: many\nmode: observe\nmatch:\n  kinds: [${Array(20_000).fill('latency').join(',')}]\n`,
    /items/,
    { headers: yaml },
  ),
  body(
    '501 playbooks in a bundle',
    'POST',
    '/api/v1/playbooks/apply',
    Array.from({ length: 501 }, (_, i) => ({ name: `p${i}` })),
    '500',
    invalidPb,
  ),
  body('a 2000-item array in a bundle', 'POST', '/api/v1/playbooks/apply', Array(2_000).fill(1), '1000'),
  body(
    '101 evidence items in dry-run',
    'POST',
    `${PB}/dry-run`,
    { anomaly: { evidence: Array(101).fill({ feature: 'f', observed: 1, expected: 1, deviation: 0 }) } },
    '/anomaly/evidence',
  ),
  body('body over the size limit', 'POST', '/api/v1/playbooks', playbook({ description: 'x'.repeat(1_100_000) }), /too large|length/i, {
    status: 413,
    code: 'ZEROOPS_BODY_TOO_LARGE',
  }),
];

const bombs: BadInputCase[] = [
  body('alias bomb on create', 'POST', '/api/v1/playbooks', BILLION_LAUGHS, /alias/i, { headers: yaml, ...invalidPb }),
  body('alias bomb on validate', 'POST', '/api/v1/playbooks/validate', BILLION_LAUGHS, /alias/i, { headers: yaml, ...invalidPb }),
  body('alias bomb on PUT', 'PUT', PB, BILLION_LAUGHS, /alias/i, { headers: yaml, ...invalidPb }),
  body('alias bomb in a single-document bundle', 'POST', '/api/v1/playbooks/apply', BILLION_LAUGHS, /alias/i, { headers: yaml, ...invalidPb }),
  body('alias bomb in document 1 of a bundle', 'POST', '/api/v1/playbooks/apply', `${pbYaml('ok-two')}---\n${BILLION_LAUGHS}\n`, /alias/i, {
    headers: yaml,
    ...invalidPb,
  }),
  body('600 documents in a bundle', 'POST', '/api/v1/playbooks/apply', Array.from({ length: 600 }, (_, i) => `name: p${i}`).join('\n---\n'), '500', {
    headers: yaml,
    ...invalidPb,
  }),
  body('unclosed YAML flow', 'POST', '/api/v1/playbooks', 'name: [a, b', /YAML/, { headers: yaml, ...invalidPb }),
  body('YAML bundle with a broken document', 'POST', '/api/v1/playbooks/apply', `${pbYaml('ok-three')}---\nname: [x\n`, /YAML/, {
    headers: yaml,
    ...invalidPb,
  }),
];

/** A valid managed change request, optionally changed. */
const change = (over: Record<string, unknown> = {}) => ({
  service: 'cart',
  change: { type: 'http', http: { method: 'POST', url: 'https://deploy.example/cart', body: { version: '1.6.0' } } },
  undo: { type: 'http', http: { method: 'POST', url: 'https://deploy.example/cart/rollback' } },
  watchSeconds: 60,
  ...over,
});
const invalidChange = { code: 'ZEROOPS_CHANGE_INVALID' };

const types: BadInputCase[] = [
  body(
    'change of a notify step',
    'POST',
    '/api/v1/changes',
    change({ change: { type: 'notify', notify: { kind: 'webhook', url: 'https://x.example', text: 'x' } } }),
    '/change/type',
    invalidChange,
  ),
  body('change without an undo', 'POST', '/api/v1/changes', change({ undo: undefined }), '/undo', invalidChange),
  body('change watch as text', 'POST', '/api/v1/changes', change({ watchSeconds: 'soon' }), '/watchSeconds', invalidChange),
  body('change max delay over a week', 'POST', '/api/v1/changes', change({ maxDelaySeconds: 8 * 86_400 }), '/maxDelaySeconds', invalidChange),
  body('NUL in change service', 'POST', '/api/v1/changes', change({ service: 'a\u0000' }), '/service'),
  body('name is a number', 'POST', '/api/v1/playbooks', playbook({ name: 42 }), '/name', invalidPb),
  body('steps is an object', 'POST', '/api/v1/playbooks', playbook({ steps: { id: 'x' } }), '/steps', invalidPb),
  body('mode is a number', 'POST', '/api/v1/playbooks', playbook({ mode: 1 }), '/mode', invalidPb),
  body('playbook is an array', 'POST', '/api/v1/playbooks', [playbook()], /object/, invalidPb),
  body('playbook is a YAML scalar', 'POST', '/api/v1/playbooks', 'hello', /object/, { headers: yaml, ...invalidPb }),
  body('playbook is JSON null', 'POST', '/api/v1/playbooks/validate', 'null', /object|null/, { headers: json, ...invalidPb }),
  body('bundle is an object without playbooks', 'POST', '/api/v1/playbooks/apply', { items: [] }, /list of playbooks/, invalidPb),
  body('bundle member is a string', 'POST', '/api/v1/playbooks/apply', ['x'], '/playbooks/0', invalidPb),
  body('dry-run score is a word', 'POST', `${PB}/dry-run`, { anomaly: { score: 'high' } }, '/anomaly/score'),
  body('dry-run score above 1', 'POST', `${PB}/dry-run`, { anomaly: { score: 7 } }, '/anomaly/score'),
  body('dry-run severity unknown', 'POST', `${PB}/dry-run`, { anomaly: { severity: 'apocalyptic' } }, '/anomaly/severity'),
  body('dry-run kind unknown', 'POST', `${PB}/dry-run`, { anomaly: { kind: 'vibes' } }, '/anomaly/kind'),
  body('dry-run window end a word', 'POST', `${PB}/dry-run`, { anomaly: { windowEndUnixMs: 'now' } }, '/anomaly/windowEndUnixMs'),
  body('dry-run window end beyond year 9999', 'POST', `${PB}/dry-run`, { anomaly: { windowEndUnixMs: 1e300 } }, '/anomaly/windowEndUnixMs'),
  body('dry-run attributes not strings', 'POST', `${PB}/dry-run`, { anomaly: { attributes: { a: { b: 1 } } } }, '/anomaly/attributes'),
  body('dry-run evidence not a list', 'POST', `${PB}/dry-run`, { anomaly: { evidence: 'lots' } }, '/anomaly/evidence'),
  body('dry-run flapping a word', 'POST', `${PB}/dry-run`, { anomaly: { flapping: 'maybe' } }, '/anomaly/flapping'),
  body('dry-run unknown anomaly field', 'POST', `${PB}/dry-run`, { anomaly: { colour: 'red' } }, /colour|additional/),
  body('dry-run unknown top-level field', 'POST', `${PB}/dry-run`, { anomalee: {} }, /anomalee|additional/),
  body('dry-run body is a list', 'POST', `${PB}/dry-run`, [1, 2], /object/),
  body('dry-run anomaly is a list', 'POST', `${PB}/dry-run`, { anomaly: [] }, '/anomaly'),
  body('reject note too long', 'POST', '/api/v1/executions/x/reject', { note: 'n'.repeat(2001) }, '/note'),
];

const media = (name: string, url: string, contentType: string, payload: string, mention: string | RegExp): BadInputCase => ({
  name,
  method: 'POST',
  url,
  headers: { 'content-type': contentType },
  payload,
  status: 415,
  code: 'ZEROOPS_UNSUPPORTED_MEDIA_TYPE',
  mention,
});
const contentTypes: BadInputCase[] = [
  media('octet-stream playbook', '/api/v1/playbooks', 'application/octet-stream', 'name: x', /octet-stream|media type/i),
  // text/plain is read as YAML (fastify parses it as a string): a 400 listing the playbook's problems.
  body('text/plain playbook missing fields', 'POST', '/api/v1/playbooks', 'name: x', '/mode', { headers: { 'content-type': 'text/plain' }, ...invalidPb }),
  media('XML playbook', '/api/v1/playbooks', 'application/xml', '<p/>', /xml|media type/i),
  media('form-encoded bundle', '/api/v1/playbooks/apply', 'application/x-www-form-urlencoded', 'a=b', /urlencoded|media type/i),
  media('CSV dry-run', `${PB}/dry-run`, 'text/csv', 'a,b', /csv|media type/i),
  media('multipart validate', '/api/v1/playbooks/validate', 'multipart/form-data; boundary=x', '--x--', /multipart|media type/i),
  body('YAML body for dry-run', 'POST', `${PB}/dry-run`, 'anomaly: {}', /object/, { headers: yaml }),
  body('malformed JSON', 'POST', '/api/v1/playbooks', '{"name": ', /JSON/, { headers: json }),
  body('JSON with a trailing comma', 'POST', '/api/v1/playbooks/apply', '[{"name":"x"},]', /JSON/, { headers: json }),
];

const empty: BadInputCase[] = [
  body('empty JSON body on create', 'POST', '/api/v1/playbooks', '', /empty|body/i, { headers: json }),
  body('no body on create', 'POST', '/api/v1/playbooks', '', /object/, invalidPb),
  body('empty JSON body on validate', 'POST', '/api/v1/playbooks/validate', '', /empty|body/i, { headers: json }),
  body('empty YAML body on PUT', 'PUT', PB, '', /object/, { headers: yaml, ...invalidPb }),
  body('empty JSON body on apply', 'POST', '/api/v1/playbooks/apply', '', /empty|body/i, { headers: json }),
  body('empty YAML body on apply', 'POST', '/api/v1/playbooks/apply', '', /list of playbooks/, { headers: yaml, ...invalidPb }),
  body('empty JSON body on dry-run', 'POST', `${PB}/dry-run`, '', /empty|body/i, { headers: json }),
];

/** Every case of the suite. */
export const BAD_INPUT_CASES: BadInputCase[] = [
  ...nulIds,
  ...longIds,
  ...unknownIds,
  ...queries,
  ...prunes,
  ...nulBodies,
  ...deep,
  ...huge,
  ...bombs,
  ...types,
  ...contentTypes,
  ...empty,
];
