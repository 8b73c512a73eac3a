import { PatchStrategy } from '@kubernetes/client-node';
import { PermanentError } from '../../core/errors.ts';
import { renderJsonValue } from '../../playbooks/index.ts';
import { connectKubernetes, type KubeClient, type Obj } from './kubernetes-client.ts';
import { renderKubeName } from './render-step.ts';
import type { StepActivity, StepDeps, StepRuntime } from './types.ts';

export { IN_CLUSTER } from './kubernetes-client.ts';

/** Annotation recording which idempotency key last rolled a Deployment back (re-running the step is then a no-op). */
export const ROLLBACK_KEY_ANNOTATION = 'zeroops.io/rollback-key';

/** Annotation `kubectl rollout restart` sets on the pod template; changing it rolls the pods. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

const revisionOf = (o: Obj | undefined): number => Number(o?.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);

/** The ReplicaSet of the revision before the Deployment's current one, among those the Deployment owns. */
async function previousReplicaSet(kube: KubeClient, namespace: string, dep: Obj): Promise<Obj | undefined> {
  const labels = (dep.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  const labelSelector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const list = await kube.read('GET', (o) => kube.apps.listNamespacedReplicaSet({ namespace, labelSelector }, o));
  const current = revisionOf(dep);
  // The selector may match another controller's ReplicaSets: only the Deployment's own count.
  const owned = ((list.items ?? []) as Obj[]).filter((rs) => ((rs.metadata?.ownerReferences ?? []) as Obj[]).some((o) => o.uid === dep.metadata?.uid));
  return owned.filter((rs) => revisionOf(rs) < current).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
}

/**
 * Puts back the pod template of the previous revision (what `kubectl rollout
 * undo` does) with a JSON patch that also records `key`, so that running the
 * step again with the same key finds it and rolls back nothing more.
 */
async function rollback(kube: KubeClient, namespace: string, name: string, key: string): Promise<unknown> {
  const dep = await kube.read('GET', (o) => kube.apps.readNamespacedDeployment({ name, namespace }, o));
  const annotations = dep.metadata?.annotations as Record<string, string> | undefined;
  if (annotations?.[ROLLBACK_KEY_ANNOTATION] === key) return { alreadyDone: true, revision: revisionOf(dep) };
  const current = revisionOf(dep);
  const previous = await previousReplicaSet(kube, namespace, dep);
  if (!previous) throw new PermanentError('ZEROOPS_K8S_NO_PREVIOUS_REVISION', `deployment ${namespace}/${name} has no revision before ${current}`);
  const template = structuredClone(previous.spec.template) as Obj;
  // The ReplicaSet controller adds pod-template-hash; the Deployment's template never carries it.
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  const body = [
    { op: 'replace', path: '/spec/template', value: template },
    annotations
      ? { op: 'add', path: `/metadata/annotations/${ROLLBACK_KEY_ANNOTATION.replace('/', '~1')}`, value: key }
      : { op: 'add', path: '/metadata/annotations', value: { [ROLLBACK_KEY_ANNOTATION]: key } },
  ];
  await kube.call('PATCH', (o) => kube.apps.patchNamespacedDeployment({ name, namespace, body }, o), PatchStrategy.JsonPatch);
  return { rolledBackTo: revisionOf(previous), from: current };
}

/** The replica count of a scale: the number written, or the value of its one placeholder (e.g. {{forecast.replicas}}), which must be one. */
function replicasOf(src: number | string | undefined, rt: StepRuntime): number | undefined {
  if (typeof src !== 'string') return src;
  const v = renderJsonValue(src, rt.template);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 10_000) {
    throw new PermanentError('ZEROOPS_STEP_INVALID', `kubernetes.replicas ${src} is ${JSON.stringify(v)}, not a replica count from 0 to 10000`);
  }
  return v;
}

/**
 * Creates the `kubernetes` step over @kubernetes/client-node's AppsV1Api:
 * `scale` merge-patches spec.replicas through the scale subresource,
 * `restart` strategic-merge-patches the `kubectl.kubernetes.io/restartedAt`
 * template annotation (to the step's first start time, so a retried step
 * restarts once), `rollback` puts back the pod template of the previous
 * ReplicaSet revision. Errors: see `connectKubernetes`.
 */
export function createKubernetesStep(deps: StepDeps): StepActivity {
  return async (action, rt) => {
    const p = action.kubernetes;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'kubernetes step without kubernetes parameters');
    const namespace = renderKubeName(p.namespace, rt.template, 'namespace');
    const name = renderKubeName(p.deployment, rt.template, 'deployment');
    const replicas = replicasOf(p.replicas, rt);
    const request = { action: p.action, namespace, deployment: name, replicas };
    if (p.action === 'scale' && replicas === undefined) throw new PermanentError('ZEROOPS_STEP_INVALID', 'kubernetes.replicas is required for action scale');
    const kube = await connectKubernetes(p, deps, rt, `deployment ${namespace}/${name}`);
    if (p.action === 'scale') {
      const body = { spec: { replicas } };
      const scale = await kube.call('PATCH', (o) => kube.apps.patchNamespacedDeploymentScale({ name, namespace, body }, o), PatchStrategy.MergePatch);
      return { request, response: { replicas: scale.spec?.replicas } };
    }
    if (p.action === 'restart') {
      const at = new Date(rt.firstStartedAt).toISOString();
      const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } };
      await kube.call('PATCH', (o) => kube.apps.patchNamespacedDeployment({ name, namespace, body }, o), PatchStrategy.StrategicMergePatch);
      return { request, response: { restartedAt: at } };
    }
    return { request, response: await rollback(kube, namespace, name, rt.idempotencyKey) };
  };
}
