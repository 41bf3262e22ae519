/**
 * A harness for the rotate-secret procedure: the real store, audit log, gate, procedure controller and
 * source loops over the sandbox cluster, with Vault either the sandbox's or the Vault protocol fake through
 * the real Vault adapter. Time moves only when the test advances the world.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MutatePorts, ReadPorts } from '../../src/adapters/ports.js';
import { createAuditLog } from '../../src/audit/log.js';
import { currentActor } from '../../src/audit/actor.js';
import { createGate } from '../../src/policy/gate.js';
import { createProcedureController, type ProcedureController } from '../../src/procedures/controller.js';
import type { ProcedureContext } from '../../src/procedures/context.js';
import { createAppStore, type AppStore } from '../../src/state/store.js';
import { startSources, type RunningSources } from '../../src/state/sources.js';
import { startVaultStatus } from '../../src/state/vault-status.js';
import { demoConfig } from '../../src/sandbox/demo-config.js';
import { SandboxWorld } from '../../src/sandbox/world.js';
import { sandboxMutatePorts, sandboxReadPorts } from '../../src/sandbox/ports.js';
import type { Config } from '../../src/config/schema.js';

export interface Harness {
  world: SandboxWorld;
  store: AppStore;
  read: ReadPorts;
  mutate: MutatePorts;
  procedures: ProcedureController;
  /** What procedures read; tests may change e.g. rolloutTimeoutMs between steps. */
  ctx: ProcedureContext;
  auditFile: string;
  auditText(): string;
  audit(): Record<string, unknown>[];
  /** Advance the world and refresh sources until `done` holds (bounded by real time). */
  until(done: () => boolean, opts?: { advanceMs?: number; timeoutMs?: number; what?: string }): Promise<void>;
  step(): string | undefined;
  stop(): void;
}

export async function startHarness(
  opts: {
    config?: Config;
    world?: SandboxWorld;
    secrets?: { read: NonNullable<ReadPorts['secrets']>; mutate: NonNullable<MutatePorts['secrets']> };
    rolloutTimeoutMs?: number;
    /** Real adapters instead of the sandbox's ports (time is then the real clock). */
    ports?: { read: ReadPorts; mutate: MutatePorts };
  } = {},
): Promise<Harness> {
  const world = opts.world ?? new SandboxWorld();
  const config = opts.config ?? demoConfig();
  const read: ReadPorts = opts.ports ? opts.ports.read : { ...sandboxReadPorts(world) };
  const mutate: MutatePorts = opts.ports ? opts.ports.mutate : { ...sandboxMutatePorts(world) };
  if (opts.secrets) {
    read.secrets = opts.secrets.read;
    mutate.secrets = opts.secrets.mutate;
  }
  const now = opts.ports ? Date.now : () => world.now();
  const store = createAppStore({
    config,
    mode: 'demo',
    readOnly: false,
    contextName: opts.ports ? (read.cluster?.contextName ?? 'no cluster') : 'sandbox-prod-eu1',
    configured: { cluster: true, metrics: true, health: true, certs: true, secrets: true },
    now: now(),
  });
  const auditFile = join(mkdtempSync(join(tmpdir(), 'oncall-rotate-')), 'audit.jsonl');
  const audit = createAuditLog({
    file: auditFile,
    actor: currentActor({}),
    version: 'test',
    mode: 'demo',
    now,
  });
  const gate = createGate({ mutate, readOnlyReason: null, audit, now });
  let sources: RunningSources | null = null;
  const vault = read.secrets ? startVaultStatus(store, read.secrets, now, 60_000) : null;
  const ctx: ProcedureContext = {
    store,
    ports: read,
    now,
    refresh: async () => {
      await Promise.all([sources?.refreshNow(), vault?.refresh()]);
    },
    rolloutTimeoutMs: opts.rolloutTimeoutMs ?? 120_000,
  };
  const procedures = createProcedureController({
    store,
    gate: () => gate,
    ctx,
    verifyTimeoutMs: 60_000,
    verifyIntervalMs: 5,
  });
  sources = startSources({
    store,
    ports: read,
    config,
    now,
    intervals: { metricsMs: 60_000, healthMs: 60_000, certsMs: 60_000, clockMs: 60_000 },
  });
  await sources.refreshNow();
  await vault?.refresh();
  const auditText = () => (existsSync(auditFile) ? readFileSync(auditFile, 'utf8') : '');
  return {
    world,
    store,
    read,
    mutate,
    procedures,
    ctx,
    auditFile,
    auditText,
    audit: () =>
      auditText()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async until(done, { advanceMs = 1000, timeoutMs = 20_000, what = 'condition' } = {}) {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${what}; procedure: ${JSON.stringify(store.getState().procedure, null, 1)}`,
          );
        if (advanceMs && !opts.ports) {
          world.advance(advanceMs);
          await sources!.refreshNow();
        }
        await new Promise<void>((r) => setTimeout(r, 5));
      }
    },
    step: () => store.getState().procedure?.step,
    stop() {
      sources?.stop();
      vault?.stop();
    },
  };
}
