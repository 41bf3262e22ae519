/**
 * The sandbox's Kubernetes Secret side of secret rotation: Secret metadata (never values), the Deployments
 * that consume a Secret (env secretKeyRef, envFrom, volumes), and a data update guarded by resourceVersion.
 */
import type { ClusterMutatePort, ClusterReadPort, SecretConsumer } from '../adapters/ports.js';
import { PreconditionFailed } from '../adapters/ports.js';
import { DEMO_CONTEXT } from './demo-config.js';
import type { SandboxWorld, SimKubeSecret } from './world.js';

function findSecret(
  world: SandboxWorld,
  ref: { context?: string; namespace: string; name: string },
): SimKubeSecret {
  const s = world.kubeSecrets.get(`${ref.context ?? DEMO_CONTEXT}/${ref.namespace}/${ref.name}`);
  if (!s) throw new Error(`secrets "${ref.name}" not found in namespace "${ref.namespace}"`);
  return s;
}

export function sandboxSecretReads(
  world: SandboxWorld,
): Pick<ClusterReadPort, 'getSecretMeta' | 'findConsumers'> {
  return {
    async getSecretMeta(ref) {
      const s = findSecret(world, ref);
      return { resourceVersion: String(s.resourceVersion), keys: Object.keys(s.data).sort(), type: s.type };
    },
    async findConsumers(namespace, secretName, context) {
      const out: SecretConsumer[] = [];
      for (const d of world.deployments.values()) {
        if (d.namespace !== namespace || d.context !== (context ?? DEMO_CONTEXT)) continue;
        const refs = world.podSecretRefs.get(d.name);
        if (!refs) continue;
        const via = [
          ...refs.env.filter((e) => e.secret === secretName).map((e) => `env ${e.name}`),
          ...refs.envFrom.filter((n) => n === secretName).map(() => 'envFrom'),
          ...refs.volumes.filter((v) => v.secret === secretName).map((v) => `volume ${v.name}`),
        ];
        if (via.length) out.push({ context: d.context, namespace: d.namespace, deployment: d.name, via });
      }
      return out.sort((a, b) => a.deployment.localeCompare(b.deployment));
    },
  };
}

export function sandboxSecretMutations(world: SandboxWorld): Pick<ClusterMutatePort, 'replaceSecretData'> {
  return {
    async replaceSecretData(ref, data, expectedResourceVersion) {
      const s = findSecret(world, ref);
      if (String(s.resourceVersion) !== expectedResourceVersion)
        throw new PreconditionFailed(
          `Operation cannot be fulfilled on secrets "${ref.name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      const keys = Object.keys(data).sort();
      world.recordMutation(
        'secret-update',
        `${s.context}/${s.namespace}/${s.name}`,
        `keys ${keys.join(',')}`,
      );
      const next = world.putKubeSecret(s.context, s.namespace, s.name, { ...s.data, ...data });
      world.advance(0);
      return {
        resourceVersion: String(next.resourceVersion),
        detail: `secret/${s.name} updated (keys ${keys.join(', ')})`,
      };
    },
  };
}
