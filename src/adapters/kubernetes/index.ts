/**
 * Entry of the Kubernetes adapter (dynamic import() from src/adapters/load.ts only: client-node costs
 * ~150 ms and +22 MB, so it never sits on the first-frame path).
 *
 * Kubeconfig as kubectl finds it: `kubernetes.kubeconfig` from the config file if set, else KUBECONFIG
 * (several files, merged, first wins), else ~/.kube/config, else the in-cluster service account.
 * Context: --context, else the service's `kubernetes.context`, else `kubernetes.context`, else the
 * kubeconfig's current-context. Namespace: --namespace, else the service's namespace.
 */
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import type { Config } from '../../config/schema.js';
import type { ClusterMutatePort, WorkloadRef } from '../ports.js';
import { KubeApiError, KubeClient } from './client.js';
import { watchAllDeployments } from './all-deployments.js';
import {
  ACTION_ACCESS,
  accessReview,
  createClusterRead,
  type ClusterReadAdapter,
  type ClusterResolver,
} from './read.js';

export interface KubernetesAdapterOptions {
  readOnly: boolean;
  context?: string;
  /**
   * The active context after a `:ctx` switch: like the kubeconfig's current-context, it applies to services
   * that do not pin `kubernetes.context` (pinned ones keep theirs), whereas --context overrides every one.
   */
  activeContext?: string;
  namespace?: string;
  /** Tests: a kubeconfig file instead of the default search. */
  kubeconfig?: string;
  env?: NodeJS.ProcessEnv;
  batchMs?: number;
}

export interface KubernetesAdapter {
  read: ClusterReadAdapter;
  mutate: ClusterMutatePort | null;
  contextName: string;
  /** Reachability of the active context's API server (GET /version, read-only). */
  reachable(timeoutMs?: number): Promise<void>;
  /** SelfSubjectAccessReview right before acting: the gate's permission check. */
  permissions(request: {
    procedure: string;
    service: string;
    context?: string;
    namespace?: string;
  }): Promise<{ allowed: boolean; reason?: string }>;
}

/**
 * KUBECONFIG with several files, merged as kubectl does: the first file to define a cluster, user or context
 * name wins (client-node would throw "Duplicate ..."), the first file that sets current-context wins, and
 * missing files are skipped. Relative paths resolve against each file's own directory (client-node does that).
 */
function mergeKubeconfigFiles(files: string[]): KubeConfig | null {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) return null;
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const file of existing) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (err) {
      throw new Error(`kubeconfig ${file}: ${(err as Error).message}`);
    }
    for (const c of one.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of one.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && one.getCurrentContext()) currentContext = one.getCurrentContext();
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  });
  return kc;
}

function loadKubeConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  let kc: KubeConfig | null = null;
  if (file) {
    kc = new KubeConfig();
    kc.loadFromFile(file);
  } else if (env.KUBECONFIG) {
    kc = mergeKubeconfigFiles(env.KUBECONFIG.split(delimiter).filter(Boolean));
  }
  if (!kc) {
    // ~/.kube/config, else the in-cluster service account (client-node reads process.env for both).
    kc = new KubeConfig();
    const savedHome = process.env.HOME;
    if (env !== process.env && env.HOME) process.env.HOME = env.HOME;
    try {
      kc.loadFromDefault();
    } finally {
      if (savedHome === undefined) delete process.env.HOME;
      else process.env.HOME = savedHome;
    }
  }
  if (!kc.getCurrentCluster() && kc.getContexts().length === 0)
    throw new Error('no kubeconfig found (KUBECONFIG, ~/.kube/config) and not running in a cluster');
  return kc;
}

export async function createKubernetesAdapter(
  config: Config,
  opts: KubernetesAdapterOptions,
): Promise<KubernetesAdapter> {
  const base = loadKubeConfig(opts.kubeconfig ?? config.kubernetes?.kubeconfig, opts.env);
  const defaultContext =
    opts.context ?? opts.activeContext ?? config.kubernetes?.context ?? base.getCurrentContext();
  const clients = new Map<string, KubeClient>();
  const clientFor = (context: string): KubeClient => {
    let c = clients.get(context);
    if (c) return c;
    const kc = new KubeConfig();
    kc.loadFromString(base.exportConfig());
    // in-cluster configs have no named contexts to switch between; keep the loaded one.
    if (context && kc.getContextObject(context)) kc.setCurrentContext(context);
    else if (context && kc.getContexts().length > 0 && context !== kc.getCurrentContext()) {
      const known = kc
        .getContexts()
        .map((x) => x.name)
        .join(', ');
      throw new Error(`context "${context}" not found in kubeconfig (known: ${known || 'none'})`);
    }
    c = new KubeClient(kc, context || kc.getCurrentContext());
    clients.set(context, c);
    return c;
  };
  if (defaultContext) clientFor(defaultContext); // fail early on a bad --context
  const resolver: ClusterResolver = {
    defaultContext: defaultContext || 'in-cluster',
    resolve(ref: WorkloadRef) {
      const context = opts.context ?? ref.context ?? defaultContext;
      return {
        client: clientFor(context),
        context: context || 'in-cluster',
        namespace: opts.namespace ?? ref.namespace,
        name: ref.deployment,
      };
    },
  };
  const read = createClusterRead(resolver, { batchMs: opts.batchMs });
  // The all-namespaces view and the context list (`:ns`, `:ctx`): read-only, on the active context.
  const allWatches = new Set<() => void>();
  read.watchAllDeployments = (namespace, listener) => {
    const stop = watchAllDeployments(clientFor(defaultContext), namespace, listener);
    allWatches.add(stop);
    return () => {
      allWatches.delete(stop);
      stop();
    };
  };
  read.listContexts = async () => base.getContexts().map((c) => c.name);
  // Who the cluster says we are, for the audit trail (SelfSubjectReview, Kubernetes ≥ 1.28). A server that does
  // not offer it (404) or does not let us ask (403) leaves the identity unknown; other failures are errors.
  read.whoAmI = async () => {
    try {
      const review = await clientFor(defaultContext).request<{
        status?: { userInfo?: { username?: string; uid?: string; groups?: string[] } };
      }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      const u = review.status?.userInfo;
      return u?.username ? { username: u.username, uid: u.uid, groups: u.groups } : null;
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 404 || err.status === 403)) return null;
      throw err;
    }
  };
  const closeRead = read.close.bind(read);
  read.close = async () => {
    for (const stop of [...allWatches]) stop();
    allWatches.clear();
    await closeRead();
    for (const c of clients.values()) c.close();
  };
  let mutate: ClusterMutatePort | null = null;
  if (!opts.readOnly) {
    const { createClusterMutate } = await import('./mutate.js');
    mutate = createClusterMutate(resolver);
  }
  return {
    read,
    mutate,
    contextName: resolver.defaultContext,
    async reachable(timeoutMs = 5000) {
      await clientFor(defaultContext).request('GET', '/version', { timeoutMs });
    },
    async permissions(request) {
      const svc = config.services.find((s) => s.name === request.service);
      if (!svc?.kubernetes) return { allowed: true }; // not a cluster action: other ports decide
      const kind = request.procedure.endsWith(':announce') ? 'announce' : request.procedure;
      const need = ACTION_ACCESS[kind];
      if (!need) return { allowed: true };
      const r = resolver.resolve({ ...svc.kubernetes });
      try {
        const res = await accessReview(
          r.client,
          r.namespace,
          r.name,
          need.verb,
          need.resource,
          need.subresource,
        );
        return { allowed: res.allowed, reason: res.reason };
      } catch (err) {
        return { allowed: false, reason: `permission check failed: ${(err as Error).message}` };
      }
    },
  };
}
