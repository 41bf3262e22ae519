/**
 * `:ctx` and `:ns` behind the command line: list the contexts, switch the active context (the runtime
 * closes the cluster adapter and installs one for the new context; a failure keeps the previous one), and
 * feed the Workloads screen from a read-only list+watch of every Deployment the active context shows.
 *
 * The screens reach this through `AppState.clusterControl`; they never touch a port.
 */
import type { ClusterReadPort, Unsubscribe } from '../adapters/ports.js';
import { sanitizeDeep, sanitizeText } from '../domain/sanitize.js';
import { redactSecrets } from '../domain/redact.js';
import type { AppStore, ClusterControl } from '../state/store.js';

export interface SwitchTarget {
  read: ClusterReadPort;
  contextName: string;
}

export interface ClusterControlDeps<T extends SwitchTarget> {
  store: AppStore;
  sandbox: boolean;
  now: () => number;
  /** The cluster port in use right now. */
  cluster: () => ClusterReadPort | undefined;
  /** Build (and check) the adapter of a context; rejects with the reason. Nothing is installed yet. */
  load: (context: string) => Promise<T>;
  /** Swap the loaded adapter in (close the old one, re-create the gate, restart the sources). */
  install: (loaded: T) => Promise<void>;
}

const clean = (message: string) => sanitizeText(redactSecrets(message), 300);

export function createClusterControl<T extends SwitchTarget>(d: ClusterControlDeps<T>): ClusterControl {
  let stopWorkloads: Unsubscribe | null = null;
  let workloadsNamespace: string | null | undefined = undefined;
  let switching = false;

  const openWorkloads = (namespace: string | null) => {
    stopWorkloads?.();
    stopWorkloads = null;
    workloadsNamespace = namespace;
    const context = d.store.getState().contextName;
    d.store.setState({ workloadsView: { context, namespace, rows: [], error: null, updatedAt: null } });
    const port = d.cluster();
    const set = (patch: Partial<NonNullable<ReturnType<AppStore['getState']>['workloadsView']>>) =>
      d.store.setState((s) => (s.workloadsView ? { workloadsView: { ...s.workloadsView, ...patch } } : {}));
    if (!port) {
      set({ error: 'no cluster adapter is loaded (yet)' });
      return;
    }
    if (!port.watchAllDeployments) {
      set({ error: 'this cluster adapter cannot list Deployments across namespaces' });
      return;
    }
    let stopped = false;
    const stop = port.watchAllDeployments(namespace, {
      onRows: (rows) => {
        if (!stopped) set({ rows: sanitizeDeep(rows), error: null, updatedAt: d.now() });
      },
      onError: (message) => {
        if (!stopped) set({ error: message === null ? null : clean(message) });
      },
    });
    stopWorkloads = () => {
      stopped = true;
      stop();
    };
  };

  return {
    sandbox: d.sandbox,
    async listContexts() {
      const port = d.cluster();
      if (!port) throw new Error('no cluster adapter is loaded (see the header); :ctx NAME can still switch');
      if (!port.listContexts) return [port.contextName];
      return (await port.listContexts()).map((c) => sanitizeText(c, 200));
    },
    async switchContext(name: string) {
      const s = d.store.getState();
      if (switching) throw new Error('a context switch is already in progress');
      if (s.procedure)
        throw new Error(`a procedure is open (${s.procedure.title}): finish or cancel it first`);
      // Without a loaded adapter (a bad --context at start) the loader itself checks the name.
      const port = d.cluster();
      if (name === s.contextName && port) throw new Error(`already on context ${name}`);
      const known = port?.listContexts ? await port.listContexts() : null;
      if (known && !known.includes(name))
        throw new Error(`unknown context "${name}" (known: ${known.join(', ') || 'none'})`);
      switching = true;
      try {
        let loaded: T;
        try {
          loaded = await d.load(name);
        } catch (err) {
          throw new Error(clean((err as Error).message));
        }
        await d.install(loaded);
      } finally {
        switching = false;
      }
      // The Workloads screen follows the new context.
      if (workloadsNamespace !== undefined) openWorkloads(workloadsNamespace);
    },
    openWorkloads,
    closeWorkloads() {
      stopWorkloads?.();
      stopWorkloads = null;
      workloadsNamespace = undefined;
      d.store.setState({ workloadsView: null });
    },
  };
}
