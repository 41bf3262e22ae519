/**
 * Assembles one running instance: config → store → ports (sandbox or real) → gate → procedures → sources.
 * The TUI and the CLI verbs share it, so `status --json` reports exactly what the screens show.
 */
import { join } from 'node:path';
import { homedir } from 'node:os';
import type { Config } from '../config/schema.js';
import type { ClusterReadPort, MutatePorts, ReadPorts } from '../adapters/ports.js';
import { createClusterControl } from './context-switch.js';
import { createAppStore, flash, sourceFailed, type AppStore, type SourceName } from '../state/store.js';
import { startSources, type RunningSources, type SourceIntervals } from '../state/sources.js';
import { startVaultStatus } from '../state/vault-status.js';
import { createAuditLog, type AuditLog } from '../audit/log.js';
import type { AuditForwarder } from '../audit/forward.js';
import { attachAuditSession, onForwardStatus } from '../audit/session.js';
import { parseDuration } from '../domain/slo.js';
import { currentActor } from '../audit/actor.js';
import { createGate, type Gate } from '../policy/gate.js';
import { createProcedureController, type ProcedureController } from '../procedures/controller.js';
import type { SandboxWorld } from '../sandbox/world.js';
import { VERSION } from '../version.js';

export interface RuntimeOptions {
  config: Config;
  mode: 'demo' | 'live';
  readOnly: boolean;
  readOnlyReason?: string;
  auditFile?: string;
  speed?: number;
  context?: string;
  namespace?: string;
  intervals?: Partial<SourceIntervals>;
  env?: NodeJS.ProcessEnv;
  /** Tests pass a world they control (and drive its clock). */
  world?: SandboxWorld;
  /** Do not start the demo clock driver (tests advance the world themselves). */
  manualClock?: boolean;
  /** Stamp audit records with this incident id (else $ONCALL_INCIDENT). */
  incidentId?: string;
  /** Audit lock timeout override (tests); else `audit.lockTimeout` from the config. */
  auditLockTimeoutMs?: number;
}

export interface Runtime {
  config: Config;
  store: AppStore;
  gate: Gate;
  audit: AuditLog;
  procedures: ProcedureController;
  world: SandboxWorld | null;
  read: ReadPorts;
  now: () => number;
  /** Start the sources (call after the first frame). */
  start(): Promise<RunningSources>;
  stop(): Promise<void>;
}

export function defaultAuditFile(mode: 'demo' | 'live', env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'oncall', mode === 'demo' ? 'demo-audit.jsonl' : 'audit.jsonl');
}

export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config, mode } = opts;
  let world: SandboxWorld | null = null;
  let read: ReadPorts = {};
  let mutate: MutatePorts | null = null;
  let contextName = opts.context ?? config.kubernetes?.context ?? 'no cluster';
  let failures: { source: string; message: string }[] = [];
  let now: () => number = Date.now;
  // `:ctx` switching: the sandbox's cluster port for a context (demo), the live adapters' shared objects.
  let sandboxCluster: ((context: string) => ClusterReadPort) | null = null;
  let liveMutate: MutatePorts | null = null;
  let loadedRead: ReadPorts | null = null;
  let adaptersLoaded = mode === 'demo';

  if (mode === 'demo') {
    const { SandboxWorld } = await import('../sandbox/world.js');
    const { sandboxReadPorts, sandboxMutatePorts } = await import('../sandbox/ports.js');
    const { DEMO_CONTEXT } = await import('../sandbox/demo-config.js');
    world = opts.world ?? new SandboxWorld();
    const w = world;
    read = sandboxReadPorts(w);
    mutate = opts.readOnly ? null : sandboxMutatePorts(w);
    sandboxCluster = (context) => sandboxReadPorts(w, { context }).cluster!;
    contextName = DEMO_CONTEXT;
    now = () => w.now();
  }

  const configured: Partial<Record<SourceName, boolean>> = {
    cluster: config.services.some((s) => s.kubernetes),
    metrics: mode === 'demo' ? config.services.some((s) => s.slo) : Boolean(config.prometheus),
    containers: config.services.some((s) => s.container),
    health: config.services.some((s) => s.health.length),
    certs: config.services.some((s) => s.certificates.length),
  };
  const store = createAppStore({
    config,
    mode,
    readOnly: opts.readOnly,
    readOnlyReason: opts.readOnlyReason,
    contextName,
    configured,
    now: now(),
  });
  const auditCfg = config.audit;
  const forwarders: AuditForwarder[] = [];
  if (auditCfg?.forward?.syslog || auditCfg?.forward?.webhook) {
    const { createSyslogForwarder, createWebhookForwarder } = await import('../audit/forward.js');
    const sys = auditCfg.forward.syslog;
    if (sys) forwarders.push(createSyslogForwarder(sys));
    const hook = auditCfg.forward.webhook;
    if (hook)
      forwarders.push(
        createWebhookForwarder({ url: hook.url, timeoutMs: parseDuration(hook.timeout) * 1000 }),
      );
  }
  const audit = createAuditLog({
    file: opts.auditFile ?? auditCfg?.path ?? defaultAuditFile(mode, opts.env),
    actor: currentActor(opts.env),
    version: VERSION,
    mode,
    now: () => now(),
    maxBytes: auditCfg ? auditCfg.maxSizeMiB * 1024 * 1024 : undefined,
    lockTimeoutMs:
      opts.auditLockTimeoutMs ?? (auditCfg ? parseDuration(auditCfg.lockTimeout) * 1000 : undefined),
    incidentId: opts.incidentId ?? (opts.env ?? process.env).ONCALL_INCIDENT ?? undefined,
    forwarders,
    onForwardStatus: (st) => forwardStatus(st),
  });
  // The gate gets its mutating ports late in live mode (after adapters load); until then it refuses.
  let gate = createGate({ mutate, readOnlyReason: store.getState().readOnlyReason, audit, now });
  let sources: RunningSources | null = null;
  let vaultStatus: ReturnType<typeof startVaultStatus> | null = null;
  const refresh = async () => {
    await Promise.all([sources?.refreshNow(), vaultStatus?.refresh()]);
  };
  const auditSession = attachAuditSession(store, audit, now);
  const forwardStatus = onForwardStatus(store);
  const procedures = createProcedureController({
    store,
    gate: () => gate,
    ctx: { store, ports: read, now, refresh },
    onProcedureFinished: () => auditSession.reload(),
  });
  auditSession.reload();

  const startAllSources = () =>
    startSources({
      store,
      ports: read,
      config,
      now,
      intervals:
        opts.intervals ??
        (mode === 'demo' ? { metricsMs: 1000, healthMs: 1000, certsMs: 10_000, clockMs: 1000 } : undefined),
    });
  // `:ctx NAME`: load an adapter for the new context (nothing changes if that fails), then swap it in:
  // close the old cluster port, re-create the gate with the new mutating port (read-only stays read-only),
  // services that do not pin a context follow the new one (their old data is dropped), sources restart.
  type Target = { read: ClusterReadPort; contextName: string; mutate?: MutatePorts['cluster'] | null };
  type Permissions = Parameters<typeof createGate>[0]['permissions'];
  const follows = (svc: Config['services'][number]) =>
    Boolean(svc.kubernetes) && (!svc.kubernetes!.context || opts.context !== undefined);
  store.setState({
    clusterControl: configured.cluster
      ? createClusterControl<Target & { permissions?: Permissions }>({
          store,
          sandbox: mode === 'demo',
          now: () => now(),
          cluster: () => read.cluster,
          async load(context) {
            if (mode === 'demo') {
              if (!sandboxCluster) throw new Error('the sandbox has no cluster');
              return { read: sandboxCluster(context), contextName: context };
            }
            if (!adaptersLoaded)
              throw new Error('still connecting to the configured context: try again in a moment');
            const { loadClusterAdapter } = await import('../adapters/load.js');
            return loadClusterAdapter(config, {
              readOnly: opts.readOnly,
              activeContext: context,
              namespace: opts.namespace,
            });
          },
          async install(next) {
            sources?.stop();
            const old = read.cluster;
            read.cluster = next.read;
            if (loadedRead) loadedRead.cluster = next.read;
            if (mode === 'live') {
              if (liveMutate) {
                liveMutate = { ...liveMutate };
                if (next.mutate) liveMutate.cluster = next.mutate;
                else delete liveMutate.cluster;
              }
              gate = createGate({
                mutate: opts.readOnly ? null : liveMutate,
                readOnlyReason: store.getState().readOnlyReason,
                audit,
                now,
                permissions: next.permissions,
              });
            }
            store.setState((s) => {
              const workloads = { ...s.workloads };
              const workloadErrors = { ...s.workloadErrors };
              for (const svc of config.services) {
                if (!follows(svc)) continue;
                delete workloads[svc.name];
                delete workloadErrors[svc.name];
              }
              return {
                contextName: next.contextName,
                workloads,
                workloadErrors,
                sources: {
                  ...s.sources,
                  cluster: { configured: true, updatedAt: null, error: null, errorSince: null },
                },
              };
            });
            if (old && old !== next.read)
              await old
                .close()
                .catch((err: Error) =>
                  flash(store, `closing the previous cluster adapter: ${err.message}`, 'warning'),
                );
            // Read-only writes no audit records, so it does not ask who it is either.
            if (mode === 'live' && !opts.readOnly && next.read.whoAmI) {
              const ctx = next.contextName;
              void next.read
                .whoAmI()
                .then((id) => audit.setKubernetesIdentity(id ? { ...id, context: ctx } : null))
                .catch((err: Error) =>
                  flash(store, `audit: Kubernetes identity unknown: ${err.message}`, 'warning'),
                );
            }
            if (sources) sources = startAllSources();
          },
        })
      : null,
  });

  let driver: NodeJS.Timeout | null = null;
  return {
    config,
    store,
    get gate() {
      return gate;
    },
    audit,
    procedures,
    world,
    get read() {
      return read;
    },
    now,
    async start() {
      if (mode === 'live') {
        const { loadAdapters } = await import('../adapters/load.js');
        const loaded = await loadAdapters(config, {
          readOnly: opts.readOnly,
          context: opts.context,
          namespace: opts.namespace,
        });
        Object.assign(read, loaded.read);
        loadedRead = loaded.read;
        adaptersLoaded = true;
        liveMutate = loaded.mutate;
        failures = loaded.failures;
        gate = createGate({
          mutate: loaded.mutate,
          readOnlyReason: store.getState().readOnlyReason,
          audit,
          now,
          permissions: loaded.permissions,
        });
        store.setState({ contextName: loaded.contextName });
        for (const f of failures) sourceFailed(store, f.source as SourceName, f.message, now());
        // Audit hook: a cluster port that can say who we are (SelfSubjectReview) names that identity in
        // every following record. Best effort: the OS user, SSH client and host are recorded regardless.
        const cluster = loaded.read.cluster;
        if (cluster?.whoAmI && !opts.readOnly) {
          void cluster
            .whoAmI()
            .then((id) => audit.setKubernetesIdentity(id ? { ...id, context: loaded.contextName } : null))
            .catch((err: Error) =>
              flash(store, `audit: Kubernetes identity unknown: ${err.message}`, 'warning'),
            );
        }
      }
      // Procedures that an earlier session started and never finished (crash, SSH drop) are offered for
      // inspection: the header's banner and the Audit screen.
      auditSession.scanUnfinished();
      if (world && !opts.manualClock) {
        const w = world;
        const speed = opts.speed ?? 1;
        const tickMs = 250;
        driver = setInterval(() => w.advance(tickMs * speed), tickMs);
      }
      if (read.secrets)
        vaultStatus = startVaultStatus(store, read.secrets, now, mode === 'demo' ? 5000 : 30_000);
      sources = startAllSources();
      return sources;
    },
    async stop() {
      if (driver) clearInterval(driver);
      store.getState().clusterControl?.closeWorkloads();
      sources?.stop();
      vaultStatus?.stop();
      await audit.close().catch((err: Error) =>
        forwardStatus({
          forwarder: 'audit',
          ok: false,
          error: err.message,
          at: now(),
          lastSeq: null,
          failures: 1,
        }),
      );
      await Promise.all(
        Object.values(read).map((p) =>
          p && 'close' in p ? (p as { close(): Promise<void> }).close() : undefined,
        ),
      );
    },
  };
}
