/**
 * The container read port over dockerode: services matched by exact container name or by label; live via
 * the /events stream (one stream for all services, reconnected with backoff, a full re-read after every
 * reconnect), never by polling. A missing or unreadable socket is reported to the listener, not thrown.
 */
import type Docker from 'dockerode';
import type { ContainerDetails, ContainerListener, ContainerReadPort, ContainerSelector } from '../ports.js';
import type { ContainerView } from '../../domain/model.js';
import { sanitizeDeep } from '../../domain/sanitize.js';
import { describeDockerError, type DockerTarget } from './connection.js';
import {
  carriedSummary,
  compareTags,
  containerName,
  hasHealthcheck,
  imageDigestOf,
  isKeptName,
  keptName,
  lastProbeAt,
  repository,
  toContainerView,
  type ContainerInspect,
  type ImageInspect,
} from './inspect.js';

export interface DockerReadOptions {
  /** Per-request timeout for ordinary calls (the events stream has none). */
  timeoutMs?: number;
  /** Reconnect backoff bounds for the events stream. */
  backoff?: { initialMs: number; maxMs: number };
  /** Coalesce bursts of events for one service into one re-read. */
  debounceMs?: number;
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

export class DockerReadPort implements ContainerReadPort {
  readonly kind = 'containers' as const;
  private readonly digests = new Map<string, string>();
  private closed = false;
  private readonly stops = new Set<() => void>();

  constructor(
    readonly docker: Docker,
    readonly target: DockerTarget,
    private readonly opts: DockerReadOptions = {},
  ) {}

  get endpoint(): string {
    return this.target.describe;
  }

  /** Wrap a call so it fails with a located, operator-readable message after the timeout. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const ms = this.opts.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${what}: no answer from ${this.target.describe} within ${ms}ms`)),
            ms,
          );
        }),
      ]);
    } catch (err) {
      if (isNotFound(err)) throw err;
      if (err instanceof Error && err.message.startsWith(`${what}:`)) throw err;
      const wrapped = new Error(`${what}: ${describeDockerError(err, this.target)}`);
      (wrapped as Error & { statusCode?: number }).statusCode = (err as { statusCode?: number }).statusCode;
      throw wrapped;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async inspectRaw(id: string): Promise<ContainerInspect> {
    return (await this.call(`inspect container ${id.slice(0, 12)}`, () =>
      this.docker.getContainer(id).inspect(),
    )) as unknown as ContainerInspect;
  }

  async imageRaw(ref: string): Promise<ImageInspect | null> {
    try {
      return (await this.call(`inspect image ${ref}`, () =>
        this.docker.getImage(ref).inspect(),
      )) as unknown as ImageInspect;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async digestFor(i: ContainerInspect): Promise<string | undefined> {
    const cached = this.digests.get(i.Image);
    if (cached) return cached;
    const img = await this.imageRaw(i.Image).catch(() => null);
    if (!img) return undefined;
    const d = imageDigestOf(img, i.Config.Image ?? '');
    this.digests.set(i.Image, d);
    return d;
  }

  private async view(id: string): Promise<ContainerView | null> {
    try {
      const i = await this.inspectRaw(id);
      // Everything here came from the engine: no control characters reach screen, audit or logs.
      return sanitizeDeep(toContainerView(i, await this.digestFor(i)));
    } catch (err) {
      // Removed between list and inspect: it is simply gone.
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async list(sel: ContainerSelector): Promise<ContainerView[]> {
    const filters: Record<string, string[]> = sel.name ? { name: [sel.name] } : { label: [sel.label ?? ''] };
    if (!sel.name && !sel.label) return [];
    const rows = await this.call(`list containers for ${sel.service}`, () =>
      this.docker.listContainers({ all: true, filters }),
    );
    // The name filter matches substrings; keep exact names, and never the kept originals.
    const ids = rows
      .filter((r) => {
        const n = containerName(r);
        return sel.name ? n === sel.name : !isKeptName(n);
      })
      .map((r) => r.Id);
    const views = await Promise.all(ids.map((id) => this.view(id)));
    return views.filter((v): v is ContainerView => v !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  async localTags(image: string): Promise<string[]> {
    const repo = repository(image);
    const imgs = await this.call('list images', () => this.docker.listImages());
    const tags: { tag: string; created: number }[] = [];
    for (const img of imgs)
      for (const t of img.RepoTags ?? [])
        if (t !== '<none>:<none>' && repository(t) === repo) tags.push({ tag: t, created: img.Created });
    tags.sort((a, b) => b.created - a.created || -compareTags(a.tag, b.tag));
    return [...new Set(tags.map((t) => t.tag))];
  }

  async imageExists(image: string): Promise<boolean> {
    return (await this.imageRaw(image)) !== null;
  }

  async inspect(id: string): Promise<ContainerDetails> {
    const i = await this.inspectRaw(id);
    const img = await this.imageRaw(i.Image);
    return sanitizeDeep({
      view: toContainerView(i, img ? imageDigestOf(img, i.Config.Image ?? '') : undefined),
      labels: { ...(i.Config.Labels ?? {}) },
      hasHealthcheck: hasHealthcheck(i.Config),
      carried: carriedSummary(i, img),
      lastProbeAt: lastProbeAt(i),
    });
  }

  async describe(): Promise<string> {
    const v = (await this.call('version', () => this.docker.version())) as unknown as {
      Version?: string;
      ApiVersion?: string;
      Components?: { Name: string; Version: string }[];
    };
    const engine = v.Components?.find((c) => /engine/i.test(c.Name));
    return `${engine?.Name ?? 'Docker Engine'} ${engine?.Version ?? v.Version ?? '?'}, API ${v.ApiVersion ?? '?'}, at ${this.target.describe}`;
  }

  async kept(name: string): Promise<ContainerView | null> {
    return this.view(keptName(name));
  }

  watch(selectors: ContainerSelector[], listener: ContainerListener): () => void {
    const backoff = this.opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    const debounceMs = this.opts.debounceMs ?? 50;
    let stopped = false;
    let delay = backoff.initialMs;
    let stream: NodeJS.ReadableStream | null = null;
    let retry: NodeJS.Timeout | null = null;
    const known = new Map<string, string>(); // container id → service
    const timers = new Map<string, NodeJS.Timeout>();
    const generation = new Map<string, number>();

    const refresh = async (sel: ContainerSelector) => {
      const gen = (generation.get(sel.service) ?? 0) + 1;
      generation.set(sel.service, gen);
      try {
        const list = await this.list(sel);
        // A later re-read started meanwhile: its answer is the fresher one.
        if (stopped || generation.get(sel.service) !== gen) return;
        for (const [id, svc] of known) if (svc === sel.service) known.delete(id);
        for (const c of list) known.set(c.id, sel.service);
        listener.onContainers(sel.service, list);
      } catch (err) {
        if (!stopped) listener.onError((err as Error).message);
      }
    };
    const schedule = (sel: ContainerSelector) => {
      if (timers.has(sel.service)) return;
      timers.set(
        sel.service,
        setTimeout(() => {
          timers.delete(sel.service);
          void refresh(sel);
        }, debounceMs),
      );
    };
    const matches = (ev: DockerEvent): ContainerSelector[] => {
      const id = ev.Actor?.ID ?? ev.id ?? '';
      const attrs = ev.Actor?.Attributes ?? {};
      const name = attrs.name ?? '';
      return selectors.filter((sel) => {
        if (known.get(id) === sel.service) return true;
        if (sel.name) return name === sel.name || name === keptName(sel.name);
        if (sel.label) {
          const eq = sel.label.indexOf('=');
          return attrs[sel.label.slice(0, eq)] === sel.label.slice(eq + 1);
        }
        return false;
      });
    };
    const onEvent = (ev: DockerEvent) => {
      if ((ev.Type ?? 'container') !== 'container') return;
      const action = ev.Action ?? ev.status ?? '';
      // Exec events accompany every health probe; the health_status event that follows carries the change.
      if (action.startsWith('exec_')) return;
      for (const sel of matches(ev)) schedule(sel);
    };
    const connect = async () => {
      if (stopped) return;
      try {
        const s = (await this.docker.getEvents({
          filters: { type: ['container'] },
        })) as unknown as NodeJS.ReadableStream;
        if (stopped) {
          (s as unknown as { destroy?: () => void }).destroy?.();
          return;
        }
        stream = s;
        delay = backoff.initialMs;
        let buf = '';
        s.on('data', (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as DockerEvent);
            } catch (err) {
              listener.onError(`unreadable event from ${this.target.describe}: ${(err as Error).message}`);
            }
          }
        });
        let ended = false;
        const lost = (why: string) => {
          if (ended) return;
          ended = true;
          stream = null;
          if (stopped) return;
          listener.onError(
            `events stream from ${this.target.describe} ${why}; reconnecting in ${Math.round(delay / 100) / 10}s`,
          );
          reconnect();
        };
        s.on('end', () => lost('ended'));
        s.on('close', () => lost('closed'));
        s.on('error', (err: Error) => lost(`failed: ${describeDockerError(err, this.target)}`));
        // Everything may have changed while we were not listening.
        await Promise.all(selectors.map((sel) => refresh(sel)));
      } catch (err) {
        if (stopped) return;
        listener.onError(
          `${describeDockerError(err, this.target)}; retrying in ${Math.round(delay / 100) / 10}s`,
        );
        reconnect();
      }
    };
    const reconnect = () => {
      if (stopped || retry) return;
      const wait = delay;
      delay = Math.min(backoff.maxMs, delay * 2);
      retry = setTimeout(() => {
        retry = null;
        void connect();
      }, wait);
    };
    const stop = () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      const s = stream as unknown as { destroy?: () => void } | null;
      stream = null;
      s?.destroy?.();
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    void connect();
    return stop;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const stop of [...this.stops]) stop();
  }
}
