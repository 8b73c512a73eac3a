/** The API's shapes as the UI reads them (see the API's OpenAPI document; the UI tolerates fields that are missing). */

export interface Label {
  id: string;
  label: 'true_positive' | 'false_positive' | 'missed';
  actor: string;
  note: string;
  createdAt: string;
}

export interface Incident {
  id: string;
  service: string;
  kind: string;
  severity: string;
  state: string;
  openedAt: string;
  closedAt: string | null;
  maxScore: number;
  lastScore: number;
  flapping: boolean;
  neededHuman: boolean;
  resolvedBy: 'auto' | 'human' | 'self' | null;
  updatedAt?: string;
  labels?: Label[];
}

/** `{ items, nextCursor }` of every list endpoint (nextCursor may be missing on older servers: treated as null). */
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Point {
  t: string;
  value: number | null;
  expected: number | null;
  lower: number | null;
  upper: number | null;
}

export interface Series {
  feature: string;
  unit: string;
  points: Point[];
}

export interface Step {
  name: string;
  type: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export interface ReportExecution {
  id: string;
  playbookId: string;
  playbookName: string;
  playbookVersion: number;
  mode: string;
  status: string;
  outcome: string | null;
  createdAt: string;
  finishedAt: string | null;
  steps: Step[];
}

export interface Report {
  incident: Incident;
  timeline: { at: string; score: number; severity: string; state: string; anomalyId: string }[];
  features: { feature: string; unit: string; observed: number; expected: number; lower: number | null; upper: number | null; deviation: number }[];
  series: Series[];
  rootCauses: { service: string; rank: number; score: number; reason: string }[];
  neighbourhood: {
    nodes: { service: string; state: string; root: boolean }[];
    edges: { from: string; to: string; calls: number; errors: number | null }[];
  };
  executions: ReportExecution[];
  deployments: { service: string; oldVersion: string | null; newVersion: string; firstSeen: string }[];
  modelVersion: string;
  units: Record<string, string>;
  labels: Label[];
}

export interface ServiceHealth {
  name: string;
  state?: 'healthy' | 'warming_up' | 'anomalous';
  openIncident?: { id: string; severity: string; openedAt: string } | null;
  lastScore?: number | null;
  signals?: { rate: number | null; errorRatio: number | null; latencyP99Ms: number | null };
  lastSeen: string;
}

export interface Kpis {
  incidents: number;
  neededHumanShare: number | null;
  autoRemediationRate: number | null;
  verifiedFixRate: number | null;
  harmRate: number | null;
  falsePositiveRate: number | null;
  ttdP50Ms: number | null;
  ttrP50Ms: number | null;
  ttrP90Ms: number | null;
  mtbfMs: number | null;
  deploymentsPerDay: number | null;
  changeFailureRate: number | null;
}

export interface KpiAnswer {
  from: string;
  to: string;
  totals: Kpis;
  buckets: ({ start: string } & Kpis)[];
}

export interface ExecutionRow {
  id: string;
  episodeId: string;
  anomalyId: string;
  service: string;
  playbookId: string;
  playbookName?: string;
  playbookVersion: number;
  mode: string;
  status: string;
  outcome: string | null;
  reason: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface ExecutionDetail extends ExecutionRow {
  steps: (Step & { attempt?: number })[];
  audit: { at: string; actor: string; action: string; details?: unknown }[];
}

export interface StoredPlaybook {
  id: string;
  name: string;
  version: number;
  spec: Record<string, unknown> & { mode?: string; description?: string };
  createdAt: string;
  updatedAt: string;
}

export interface StoredVersion {
  version: number;
  spec: Record<string, unknown>;
  createdAt: string;
  createdBy: string;
}
