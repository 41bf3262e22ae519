/**
 * The sandbox world: an in-process simulation behind every port, driven by an injectable clock.
 * Scenario: seven minutes before the world starts, checkout-api was rolled out to 2.14.0 (revision 7),
 * which answers 12% of requests with 5xx. Its 1 h burn rate is about to cross 14.4x and page.
 * Rolling it back through the real procedure code brings the error ratio back down.
 */
import { ManualClock, seededRandom } from './clock.js';
import { SimDeployment } from './sim-deployment.js';
import { DEMO_CONTEXT } from './demo-config.js';
import type { ContainerView } from '../domain/model.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export interface Segment {
  t: number;
  ratio: number;
}

export interface SimContainer {
  id: string;
  service: string;
  name: string;
  labels: Record<string, string>;
  image: string;
  state: 'running' | 'exited' | 'created';
  healthyAt: number;
  unhealthy: boolean;
  restartCount: number;
  startedAt: number;
}

export interface MutationLogEntry {
  at: number;
  kind: string;
  target: string;
  detail: string;
}

export interface SimSecret {
  versions: { data: Record<string, string>; createdAt: number }[];
}

/** A Kubernetes Secret in the simulated cluster. */
export interface SimKubeSecret {
  context: string;
  namespace: string;
  name: string;
  type: string;
  resourceVersion: number;
  data: Record<string, string>;
}

/** How a simulated Deployment's pod template refers to Secrets. */
export interface SimPodSecretRefs {
  env: { name: string; secret: string; key: string }[];
  envFrom: string[];
  volumes: { name: string; secret: string }[];
}

/** Images that answer some requests with errors, by image reference. */
const BAD_IMAGES: Record<string, number> = { 'registry.example.test/checkout-api:2.14.0': 0.12 };

export const DEMO_START = Date.UTC(2026, 10, 26, 3, 7, 0);

export class SandboxWorld {
  readonly clock: ManualClock;
  readonly deployments = new Map<string, SimDeployment>();
  readonly containers: SimContainer[] = [];
  readonly localImages = new Set<string>();
  readonly segments = new Map<string, Segment[]>();
  readonly baseRatio = new Map<string, number>();
  readonly secrets = new Map<string, SimSecret>();
  /** Kubernetes Secrets by `${context}/${namespace}/${name}`. */
  readonly kubeSecrets = new Map<string, SimKubeSecret>();
  /** Secret references in each Deployment's pod template, by deployment name. */
  readonly podSecretRefs = new Map<string, SimPodSecretRefs>();
  /** Vault's state (tests and the demo can seal it or deny paths to the token). */
  readonly vault = { sealed: false, deniedPaths: new Set<string>(), tokenExpiresAt: 0 };
  private secretRv = 48_213;
  readonly certExpiry = new Map<string, number>();
  readonly mutations: MutationLogEntry[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly rand: () => number;
  private lastStep: number;
  private idSeq = 0;

  constructor(opts: { start?: number; seed?: number } = {}) {
    const start = opts.start ?? DEMO_START;
    this.clock = new ManualClock(start);
    this.rand = seededRandom(opts.seed ?? 42);
    this.lastStep = start;
    this.build(start);
  }

  now(): number {
    return this.clock.now();
  }

  private build(now: number): void {
    const dep = (
      service: string,
      ns: string,
      replicas: number,
      images: string[],
      hpa?: { min: number; max: number },
      context = DEMO_CONTEXT,
    ) => {
      const history = images.map((image, i) => ({
        image,
        changeCause: `deploy ${image.split(':').pop()}`,
        createdAt: now - (images.length - i) * 3 * DAY,
      }));
      const d = new SimDeployment(
        { name: service, namespace: ns, context, replicas, history, hpa },
        this.rand,
        now - 7 * MIN,
      );
      this.deployments.set(service, d);
    };
    dep(
      'checkout-api',
      'payments',
      4,
      ['2.11.0', '2.12.1', '2.12.3', '2.13.0', '2.13.1', '2.13.2'].map(
        (t) => `registry.example.test/checkout-api:${t}`,
      ),
      { min: 3, max: 10 },
    );
    dep(
      'accounts',
      'identity',
      3,
      ['4.1.0', '4.2.0'].map((t) => `registry.example.test/accounts:${t}`),
    );
    dep(
      'search',
      'search',
      2,
      ['8.14.1', '8.15.0'].map((t) => `registry.example.test/search:${t}`),
      undefined,
      'sandbox-staging-eu1',
    );

    // The bad rollout, seven minutes ago, already complete.
    const checkout = this.deployments.get('checkout-api') as SimDeployment;
    checkout.setImage(
      'registry.example.test/checkout-api:2.14.0',
      'deploy 2.14.0 (PAY-2291 new tax rounding)',
      now - 7 * MIN,
    );
    for (let t = now - 7 * MIN; t <= now; t += 1000) checkout.step(t);

    const ctr = (service: string, name: string, image: string, labels: Record<string, string>) => {
      this.containers.push({
        id: this.newId(),
        service,
        name,
        labels,
        image,
        state: 'running',
        healthyAt: now - DAY,
        unhealthy: false,
        restartCount: 0,
        startedAt: now - 4 * DAY,
      });
      this.localImages.add(image);
    };
    ctr('webhooks', 'webhooks', 'registry.example.test/webhooks:3.2.1', {
      'traefik.enable': 'true',
      'traefik.http.routers.webhooks.tls': 'true',
    });
    ctr('ledger', 'ledger-1', 'localhost/ledger:1.8.0', {
      app: 'ledger',
      'io.containers.autoupdate': 'registry',
    });
    ctr('orders-db', 'orders-db', 'docker.io/library/postgres:15.4', {});
    for (const img of [
      'localhost/ledger:1.7.3',
      'localhost/ledger:1.7.2',
      'registry.example.test/webhooks:3.2.0',
    ])
      this.localImages.add(img);

    // Thirty days of error-ratio history per service.
    const seed = (service: string, base: number, extra: Segment[] = []) => {
      this.baseRatio.set(service, base);
      this.segments.set(service, [{ t: now - 31 * DAY, ratio: base }, ...extra]);
    };
    seed('checkout-api', 0.0002, [
      { t: now - 12 * DAY, ratio: 0.01 },
      { t: now - 12 * DAY + 2 * HOUR, ratio: 0.0002 },
      { t: now - 7 * MIN, ratio: 0.0002 + BAD_IMAGES['registry.example.test/checkout-api:2.14.0']! },
    ]);
    seed('webhooks', 0.0001);
    seed('accounts', 0.0008);
    seed('ledger', 0.0003);
    // search: a slow burn at 4x for two days: tickets, never pages.
    seed('search', 0.0002, [{ t: now - 2 * DAY, ratio: 0.004 }]);

    this.certExpiry.set('checkout.example.test:443', now + 62 * DAY + 5 * HOUR);
    this.certExpiry.set('hooks.example.test:443', now + 45 * DAY + 2 * HOUR);
    this.certExpiry.set('accounts.example.test:443', now + 80 * DAY);
    this.certExpiry.set('orders-db.example.test:5432', now + 5 * DAY + 3 * HOUR);
    this.certExpiry.set('search.example.test:443', now + 21 * DAY + 7 * HOUR);

    this.vault.tokenExpiresAt = now + 8 * HOUR; // the operator's `vault login` of this shift
    // The Stripe key: in Vault (KV v2, two versions), synced into the Kubernetes Secret payments/stripe,
    // consumed by checkout-api (env) and payments-worker (a mounted volume).
    this.secrets.set('secret/payments/stripe', {
      versions: [
        { data: { api_key: 'sk_demo_initial', webhook_secret: 'whsec_demo' }, createdAt: now - 120 * DAY },
        { data: { api_key: 'sk_demo_current', webhook_secret: 'whsec_demo' }, createdAt: now - 40 * DAY },
      ],
    });
    this.putKubeSecret(DEMO_CONTEXT, 'payments', 'stripe', {
      api_key: 'sk_demo_current',
      webhook_secret: 'whsec_demo',
    });
    dep(
      'payments-worker',
      'payments',
      2,
      ['1.8.0', '1.9.0'].map((t) => `registry.example.test/payments-worker:${t}`),
    );
    this.podSecretRefs.set('checkout-api', {
      env: [{ name: 'STRIPE_API_KEY', secret: 'stripe', key: 'api_key' }],
      envFrom: [],
      volumes: [],
    });
    this.podSecretRefs.set('payments-worker', {
      env: [],
      envFrom: [],
      volumes: [{ name: 'stripe', secret: 'stripe' }],
    });
  }

  /** Create or replace a Kubernetes Secret (a new resourceVersion each time). */
  putKubeSecret(
    context: string,
    namespace: string,
    name: string,
    data: Record<string, string>,
  ): SimKubeSecret {
    const key = `${context}/${namespace}/${name}`;
    const s: SimKubeSecret = {
      context,
      namespace,
      name,
      type: 'Opaque',
      resourceVersion: ++this.secretRv,
      data: { ...data },
    };
    this.kubeSecrets.set(key, s);
    return s;
  }

  newId(): string {
    this.idSeq++;
    let s = '';
    for (let i = 0; i < 12; i++) s += Math.floor(this.rand() * 16).toString(16);
    return s;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  recordMutation(kind: string, target: string, detail: string): void {
    this.mutations.push({ at: this.now(), kind, target, detail });
  }

  /** Advance simulated time; the controllers run once per simulated second. */
  advance(ms: number): void {
    const target = this.clock.now() + ms;
    let changed = false;
    while (this.lastStep + 1000 <= target) {
      this.lastStep += 1000;
      this.clock.set(this.lastStep);
      for (const d of this.deployments.values()) changed = d.step(this.lastStep) || changed;
      changed = this.updateRatios(this.lastStep) || changed;
      for (const c of this.containers) {
        if (c.state === 'running' && c.healthyAt > this.lastStep - 1000 && c.healthyAt <= this.lastStep)
          changed = true;
      }
    }
    this.clock.set(target);
    if (changed) for (const fn of this.listeners) fn();
  }

  private updateRatios(now: number): boolean {
    let changed = false;
    for (const [service, d] of this.deployments) {
      const base = this.baseRatio.get(service) ?? 0;
      let ratio = base;
      for (const [image, bad] of Object.entries(BAD_IMAGES)) ratio += d.readyFraction(image, now) * bad;
      const segs = this.segments.get(service);
      if (!segs) continue;
      const last = segs[segs.length - 1] as Segment;
      if (Math.abs(last.ratio - ratio) > 1e-12) {
        segs.push({ t: now, ratio });
        changed = true;
      }
    }
    return changed;
  }

  /** Mean error ratio over [from, to], integrating the piecewise-constant ratio (constant traffic). */
  windowRatio(service: string, from: number, to: number): number | null {
    const segs = this.segments.get(service);
    if (!segs || to <= from) return null;
    let sum = 0;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i] as Segment;
      const end = i + 1 < segs.length ? (segs[i + 1] as Segment).t : to;
      const a = Math.max(from, s.t);
      const b = Math.min(to, end);
      if (b > a) sum += (b - a) * s.ratio;
    }
    return sum / (to - from);
  }

  containerView(c: SimContainer, now: number): ContainerView {
    const health: ContainerView['health'] =
      c.state !== 'running'
        ? 'none'
        : c.unhealthy
          ? 'unhealthy'
          : c.healthyAt <= now
            ? 'healthy'
            : 'starting';
    return {
      id: c.id,
      name: c.name,
      state: c.state,
      health,
      healthOutput: health === 'unhealthy' ? 'curl: (7) Failed to connect to 127.0.0.1 port 8080' : undefined,
      image: c.image,
      imageDigest: `sha256:${c.image.length.toString(16).padStart(4, '0')}${'ab'.repeat(30)}`,
      restartCount: c.restartCount,
      oomKilled: false,
      exitCode: 0,
      startedAt: c.startedAt,
    };
  }
}

export { BAD_IMAGES };
