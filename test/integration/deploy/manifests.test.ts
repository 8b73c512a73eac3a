import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { SERVICE_NAMES } from '../../../services/cli/runtime.ts';
import { loadConfig, SETTINGS } from '../../../services/core/config.ts';

const root = join(import.meta.dirname, '../../..');
const k8sDir = join(root, 'infra/kubernetes');

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
};

function k8sObjects(): { file: string; obj: Obj }[] {
  const out: { file: string; obj: Obj }[] = [];
  for (const file of readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const doc of parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8'))) {
      expect(doc.errors, `${file}: YAML errors`).toEqual([]);
      const obj = doc.toJS() as Obj | null;
      if (obj) out.push({ file, obj });
    }
  }
  return out;
}

const envNames = new Set(SETTINGS.map((s) => s.env));
const objects = k8sObjects();
const byKind = (kind: string) => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj);
const configMap = byKind('ConfigMap')[0] as unknown as { data: Record<string, string> };
const secret = byKind('Secret')[0] as unknown as { stringData: Record<string, string> };
// The settings every pod gets: the ConfigMap and the Secret through envFrom.
const podEnv = { ...configMap.data, ...secret.stringData };

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
}
const containerOf = (d: Obj) => (d as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0] as Container;

describe('infra/kubernetes', () => {
  it('every object is valid against the Kubernetes schema of its kind', () => {
    expect(objects.length).toBeGreaterThanOrEqual(9);
    for (const { file, obj } of objects) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      expect(Model, `${file}: no schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
      expect(() => new (Model as new (o: Obj) => { validate(): void })(obj).validate(), `${file}: ${obj.kind} ${obj.metadata.name}`).not.toThrow();
    }
  });

  it('the schema check would catch a malformed Deployment', () => {
    const d = structuredClone(byKind('Deployment')[0]) as Obj & { spec: { replicas: unknown } };
    d.spec.replicas = 'two';
    expect(() => new Deployment(d as never).validate()).toThrow();
  });

  it('kustomization.yaml lists every manifest', () => {
    const k = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    const files = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...k.resources].sort()).toEqual(files.sort());
  });

  it('has one Deployment per service, each running that service with replicas, probes and resources', () => {
    const deployments = byKind('Deployment');
    const commands = deployments.map((d) => containerOf(d).args[0]);
    expect([...commands].sort()).toEqual([...SERVICE_NAMES].sort());
    for (const d of deployments) {
      const c = containerOf(d);
      const spec = (d as unknown as { spec: { replicas: number } }).spec;
      expect(spec.replicas, d.metadata.name).toBeGreaterThanOrEqual(2);
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      // The api serves the probes on its own port; the other processes on ZEROOPS_HEALTH_PORT.
      const probePort = c.ports.find((p) => p.name === c.readinessProbe.httpGet.port);
      const served = c.args[0] === 'api' ? podEnv.ZEROOPS_API_PORT : podEnv.ZEROOPS_HEALTH_PORT;
      expect(served, `${d.metadata.name}: the setting that serves its probes`).toBeDefined();
      expect(probePort?.containerPort, `${d.metadata.name}: probe port`).toBe(Number(served));
      expect(c.resources.requests.cpu).toBeTruthy();
      expect(c.resources.requests.memory).toBeTruthy();
      expect(c.envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual(['zeroops-settings', 'zeroops-secrets']);
    }
  });

  it('ports agree with the settings the pods get', () => {
    const collector = containerOf(byKind('Deployment').find((d) => containerOf(d).args[0] === 'collector') as Obj);
    const port = (name: string) => collector.ports.find((p) => p.name === name)?.containerPort;
    expect(port('otlp-grpc')).toBe(Number(podEnv.ZEROOPS_OTLP_GRPC_PORT));
    expect(port('otlp-http')).toBe(Number(podEnv.ZEROOPS_OTLP_HTTP_PORT));
    for (const svc of byKind('Service') as unknown as { metadata: { name: string }; spec: { ports: { port: number; targetPort: string }[] } }[]) {
      for (const p of svc.spec.ports) {
        const target = byKind('Deployment')
          .flatMap((d) => containerOf(d).ports)
          .find((cp) => cp.name === p.targetPort);
        expect(target?.containerPort, `${svc.metadata.name} -> ${p.targetPort}`).toBe(p.port);
      }
    }
  });

  it('the ConfigMap and Secret hold only known settings, and together they load', () => {
    for (const k of Object.keys(podEnv)) expect(envNames.has(k), `${k} is not a zeroops setting`).toBe(true);
    const config = loadConfig(podEnv);
    expect(config.host).toBe('0.0.0.0');
    expect(config.kafkaBrokers.length).toBeGreaterThan(0);
    expect(config.databaseUrl).toMatch(/^postgres:\/\//);
  });
});

describe('infra/compose', () => {
  const compose = parse(readFileSync(join(root, 'infra/compose/compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[]; image?: string }>;
  };
  const zeroops = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('zeroops'));

  it('runs every zeroops service as its own container next to Kafka and Postgres', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'postgres']));
    expect(zeroops.map(([, s]) => s.command?.[0]).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('sets only known settings, which load, and publishes the ports they name', () => {
    for (const [name, s] of zeroops) {
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{[^}]*\}/g, '')]));
      for (const k of Object.keys(env)) expect(envNames.has(k), `${name}: ${k}`).toBe(true);
      const config = loadConfig(env);
      const ports = (s.ports ?? []).map((p) => Number(p.split(':')[1]));
      if (s.command?.[0] === 'collector') expect(ports.sort()).toEqual([config.otlpGrpcPort, config.otlpHttpPort].sort());
      if (s.command?.[0] === 'api') expect(ports).toEqual([config.apiPort]);
    }
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  it('is multi-stage, installs production dependencies only and runs as a non-root user', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/npm ci --omit=dev/);
    const lastStage = text.slice(text.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER (?!root\b|0\b)\S+/m);
    const exposed = (/^EXPOSE (.+)$/m.exec(lastStage)?.[1] ?? '').split(/\s+/).map(Number);
    const d = loadConfig({});
    expect(exposed.sort()).toEqual([d.otlpGrpcPort, d.otlpHttpPort, d.apiPort].sort());
  });
});
