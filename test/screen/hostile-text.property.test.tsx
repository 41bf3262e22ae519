/**
 * Everything a cluster, metric, alert, container, health endpoint or certificate sends is untrusted text on
 * its way to a terminal. 10,000 generated cases push hostile strings through the real pipeline
 * (ports → source loops → store → Overview and Service screens) and assert that no raw control byte,
 * escape sequence, bidi override or zero-width character reaches the rendered frame.
 */
import React from 'react';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { renderToString } from 'ink';
import { AppContext, type AppServices } from '../../src/hooks/app-context.js';
import { Overview } from '../../src/screens/Overview.js';
import { Service } from '../../src/screens/Service.js';
import { createAppStore, updateUi } from '../../src/state/store.js';
import { startSources } from '../../src/state/sources.js';
import { parseConfigText } from '../../src/config/load.js';
import type { ReadPorts } from '../../src/adapters/ports.js';
import type { WorkloadSnapshot } from '../../src/domain/model.js';
import { rolloutStatus } from '../../src/domain/rollout.js';

const config = parseConfigText(
  `services:
  - name: api
    tier: production
    kubernetes: {namespace: ns, deployment: api}
    container: {name: api}
    health: [{url: "http://127.0.0.1:1/healthz", name: healthz}]
    slo: {objective: 99.9, metric: http_requests_total}
    certificates: [{host: api.test, port: 443}]
`,
  'test.yaml',
);

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u001b]52;c;ZXZpbA==\u0007',
    '\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\',
    '\u001b[2J\u001b[H',
    '\u001b[?1049l',
    '\u009b31m',
    '\u009d0;title\u009c',
    '\u202eevil\u202c',
    'a\u200bb\ufeff',
    '\u001bP+q\u001b\\',
    '\u0007\u0008\u007f',
  ),
);
const text = fc
  .array(fc.oneof(hostile, fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 4 })
  .map((p) => p.join(''));

// Allowed in the frame: SGR styling Ink itself emits with colour off (bold, dim, inverse, strikethrough, resets).
const INK_SGR = /\u001b\[(?:0|1|2|7|9|22|23|27|29|39|49)(?:;(?:0|1|2|7|9|22|23|27|29|39|49))*m/g;
const FORBIDDEN =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

function portsFor(t: string[]): ReadPorts {
  const snap: WorkloadSnapshot = {
    kind: 'Deployment',
    name: 'api',
    namespace: 'ns',
    context: t[0]!,
    resourceVersion: '1',
    generation: 1,
    observedGeneration: 1,
    replicas: 1,
    updatedReplicas: 1,
    readyReplicas: 0,
    availableReplicas: 0,
    paused: false,
    revision: 2,
    image: `reg/${t[1]}:1`,
    rollout: rolloutStatus({
      name: t[2]!,
      generation: 1,
      observedGeneration: 1,
      specReplicas: 1,
      statusReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 0,
      paused: false,
    }),
    history: [
      { revision: 1, image: `reg/a:${t[3]}`, changeCause: t[4]! },
      { revision: 2, image: `reg/${t[1]}:1`, changeCause: t[5]! },
    ],
    pods: [{ name: t[6]!, ready: false, phase: t[7]!, restarts: 3, reason: `CrashLoopBackOff ${t[8]}` }],
    events: [{ at: 0, type: 'Warning', reason: t[9]!, message: t[10]! }],
  };
  return {
    cluster: {
      kind: 'cluster',
      contextName: 'c',
      watch(refs, l) {
        for (const r of refs) l.onSnapshot(r, snap);
        return () => undefined;
      },
      get: async () => snap,
      canI: async (_r, verb, resource) => ({ verb, resource, namespace: 'ns', allowed: true }),
      close: async () => undefined,
    },
    containers: {
      kind: 'containers',
      watch(sels, l) {
        for (const s of sels)
          l.onContainers(s.service, [
            {
              id: '1',
              name: t[11]!,
              state: 'running',
              health: 'unhealthy',
              healthOutput: t[12],
              image: `x/${t[13]}:2`,
              restartCount: 1,
              oomKilled: true,
              exitCode: 137,
            },
          ]);
        return () => undefined;
      },
      list: async () => [],
      localTags: async () => [],
      close: async () => undefined,
    },
    metrics: {
      kind: 'metrics',
      sloRatios: async () => ({
        api: { ratios: { '1h': 0.02, '5m': 0.03 }, windowRatio: 0.001, errorSeries: [0, 1] },
      }),
      alerts: async () => [
        {
          name: t[14]!,
          state: 'firing',
          severity: 'page',
          summary: t[15]!,
          runbookUrl: t[16],
          service: 'api',
        },
      ],
      close: async () => undefined,
    },
    health: {
      kind: 'health',
      probe: async (_s, eps) =>
        eps.map((e) => ({
          url: e.url,
          name: t[17]!,
          state: 'warning',
          statusCode: 200,
          latencyMs: 5,
          at: 0,
          checks: [{ name: t[18]!, status: t[19]!, ok: false }],
          error: t[20],
        })),
    },
    certs: {
      kind: 'certs',
      probe: async () => [
        {
          name: t[21]!,
          source: 'tls',
          subject: t[22]!,
          issuer: t[23]!,
          sans: [t[24]!],
          serial: '1',
          notBefore: 0,
          notAfter: 86_400_000 * 3,
          daysLeft: 3,
          level: 'critical',
          problems: [t[25]!],
        },
      ],
    },
  };
}

async function storeFor(t: string[]) {
  const store = createAppStore({
    config,
    mode: 'live',
    readOnly: true,
    contextName: 'c',
    configured: {},
    now: 0,
  });
  const sources = startSources({
    store,
    ports: portsFor(t),
    config,
    now: () => 0,
    intervals: { metricsMs: 1e9, healthMs: 1e9, certsMs: 1e9, clockMs: 1e9 },
  });
  await sources.refreshNow();
  await new Promise<void>((r) => queueMicrotask(r));
  sources.stop();
  return store;
}

function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      yield k;
      yield* strings(v);
    }
}

async function framesFor(t: string[]): Promise<string[]> {
  const store = await storeFor(t);
  updateUi(store, { selectedService: 'api' });
  const services: AppServices = {
    store,
    procedures: { start: () => false, active: null, register: () => undefined },
    quit: () => undefined,
    color: false,
    reloadAudit: () => undefined,
  };
  const wrap = (el: React.ReactElement) => <AppContext.Provider value={services}>{el}</AppContext.Provider>;
  return [
    renderToString(wrap(<Overview height={19} width={80} />), { columns: 80 }),
    renderToString(wrap(<Service height={19} width={80} />), { columns: 80 }),
  ];
}

describe('no control character from a remote source reaches the store or the frame', () => {
  it('10,000 generated cases: every string the sources put in the store is clean', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 26, maxLength: 26 }), async (t) => {
        const s = (await storeFor(t)).getState();
        for (const str of strings([s.workloads, s.containers, s.health, s.alerts, s.certs, s.slo]))
          expect(str).not.toMatch(FORBIDDEN);
      }),
      { numRuns: 10_000 },
    );
  }, 300_000);

  it('300 generated cases over pod names, events, images, change causes, alerts, health JSON, containers and certificates', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 26, maxLength: 26 }), async (t) => {
        for (const frame of await framesFor(t)) {
          const stripped = frame.replace(INK_SGR, '');
          expect(stripped).not.toMatch(FORBIDDEN);
        }
      }),
      { numRuns: 300 },
    );
  }, 300_000);
});
