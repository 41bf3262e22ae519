/**
 * One shared informer per kind and namespace: LIST (paged) then WATCH from the list's resourceVersion with
 * bookmarks. A watch that ends is resumed from the last seen resourceVersion (no relist); `410 Gone` /
 * `Expired` (the resourceVersion was compacted) relists. Failures back off exponentially with full jitter,
 * capped, and reset only after a healthy stretch, so a flapping server never gets a reconnect storm.
 */
import { KubeApiError, type KubeClient, type KubeList, type KubeObject, type WatchEvent } from './client.js';

export interface InformerOptions {
  kind: string;
  /** Collection path, e.g. /apis/apps/v1/namespaces/prod/deployments */
  path: string;
  /** Older API versions to try when the server does not serve `path` (404), e.g. autoscaling/v1 HPAs. */
  fallbackPaths?: string[];
  /** Keep only what the snapshots read (memory: 20,000 pods are cached). */
  transform?: (o: KubeObject) => KubeObject;
  /** Cache key (default: metadata.name; cluster-wide lists need namespace/name). */
  keyOf?: (o: KubeObject) => string;
  /** Secondary index (e.g. controller owner name). */
  indexBy?: (o: KubeObject) => string | undefined;
  /** Called with the names of changed objects (all: true after a relist). */
  onChange: (changed: KubeObject[], all: boolean) => void;
  /** Called with an error message, or null once the informer is healthy again. */
  onError: (message: string | null) => void;
  pageSize?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Server-side watch timeout, like client-go's randomised 5–10 minutes. */
  watchTimeoutSeconds?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}
  /** Full jitter: uniform in [initial/2, min(max, initial·2^n)]. */
  next(): number {
    const cap = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(this.initialMs / 2 + this.random() * Math.max(0, cap - this.initialMs / 2));
  }
  reset(): void {
    this.attempt = 0;
  }
}

function isGone(err: unknown): boolean {
  return (
    err instanceof KubeApiError && (err.status === 410 || err.reason === 'Expired' || err.reason === 'Gone')
  );
}

export class Informer {
  readonly items = new Map<string, KubeObject>();
  readonly index = new Map<string, Set<string>>();
  synced = false;
  error: string | null = null;
  resourceVersion = '';
  /** Counters for tests and doctor: how often we listed and watched. */
  readonly stats = { lists: 0, watches: 0, relists: 0, events: 0 };
  private stopped = false;
  private closeWatch: (() => void) | null = null;
  private wake: (() => void) | null = null;
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private path: string;
  private fallbacks: string[];

  constructor(
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
  ) {
    const b = opts.backoff ?? { initialMs: 250, maxMs: 30_000 };
    this.backoff = new Backoff(b.initialMs, b.maxMs, opts.random);
    this.path = opts.path;
    this.fallbacks = [...(opts.fallbackPaths ?? [])];
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.closeWatch?.();
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  private setError(message: string | null): void {
    if (message === this.error) return;
    this.error = message;
    this.opts.onError(message);
  }

  private key(o: KubeObject): string {
    return this.opts.keyOf ? this.opts.keyOf(o) : o.metadata.name;
  }

  private put(raw: KubeObject): void {
    const name = this.key(raw);
    const o = this.opts.transform ? this.opts.transform(raw) : raw;
    const prev = this.items.get(name);
    if (this.opts.indexBy) {
      const oldKey = prev ? this.opts.indexBy(prev) : undefined;
      const newKey = this.opts.indexBy(o);
      if (oldKey !== newKey && oldKey !== undefined) this.index.get(oldKey)?.delete(name);
      if (newKey !== undefined) {
        let set = this.index.get(newKey);
        if (!set) this.index.set(newKey, (set = new Set()));
        set.add(name);
      }
    }
    this.items.set(name, o);
  }

  private remove(name: string): void {
    const prev = this.items.get(name);
    if (!prev) return;
    if (this.opts.indexBy) {
      const key = this.opts.indexBy(prev);
      if (key !== undefined) this.index.get(key)?.delete(name);
    }
    this.items.delete(name);
  }

  byIndex(key: string): KubeObject[] {
    const names = this.index.get(key);
    if (!names) return [];
    const out: KubeObject[] = [];
    for (const n of names) {
      const o = this.items.get(n);
      if (o) out.push(o);
    }
    return out;
  }

  private async list(): Promise<void> {
    const fresh = new Map<string, KubeObject>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.request<KubeList>('GET', this.path, {
        signal: this.abort.signal,
        query: { limit: this.opts.pageSize ?? 500, continue: cont },
      });
      this.stats.lists++;
      for (const it of page.items ?? []) fresh.set(this.key(it), it);
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
      if (this.stopped) return;
    } while (cont);
    for (const name of [...this.items.keys()]) if (!fresh.has(name)) this.remove(name);
    for (const o of fresh.values()) this.put(o);
    this.resourceVersion = rv;
    this.synced = true;
    this.opts.onChange([], true);
  }

  /** One watch connection; resolves when it ends normally, rejects with the reason otherwise. */
  private watchOnce(): Promise<{ events: number; ms: number }> {
    const t0 = Date.now();
    let events = 0;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null) => {
        if (settled) return;
        settled = true;
        this.closeWatch = null;
        if (err) reject(err);
        else resolve({ events, ms: Date.now() - t0 });
      };
      const onEvent = (e: WatchEvent) => {
        if (settled) return;
        if (e.type === 'ERROR') {
          const st = e.object as unknown as { code?: number; reason?: string; message?: string };
          close();
          finish(
            new KubeApiError(
              st.code ?? 500,
              st.reason ?? 'Error',
              `watch ${this.opts.kind}: ${st.message ?? 'error'}`,
            ),
          );
          return;
        }
        const rv = e.object?.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (e.type === 'BOOKMARK') return;
        events++;
        this.stats.events++;
        if (e.type === 'DELETED') this.remove(this.key(e.object));
        else this.put(e.object);
        this.opts.onChange([e.object], false);
      };
      let close: () => void = () => undefined;
      this.stats.watches++;
      this.client
        .watch(
          this.path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
          },
          onEvent,
          finish,
        )
        .then((c) => {
          close = c;
          this.closeWatch = c;
          if (this.stopped) c();
        })
        .catch((err: Error) => finish(err));
    });
  }

  private async loop(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.list();
          needList = false;
          this.setError(null);
        }
        if (this.stopped) return;
        const { events, ms } = await this.watchOnce();
        if (this.stopped) return;
        this.setError(null);
        // A watch that ended normally resumes from the last resourceVersion. One that ended at once
        // with nothing in it counts as a failure for backoff purposes (no hot loop against a bad server).
        if (events > 0 || ms > 5000) this.backoff.reset();
        else await this.sleep(this.backoff.next());
      } catch (err) {
        if (this.stopped) return;
        if (isGone(err)) {
          // Our resourceVersion is too old: relist (at once the first time, then with backoff).
          this.stats.relists++;
          needList = true;
          await this.sleep(this.backoff.next() / 4);
          continue;
        }
        if (err instanceof KubeApiError && err.status === 404 && this.fallbacks.length && !this.synced) {
          this.path = this.fallbacks.shift()!;
          continue;
        }
        const e = err as Error;
        const forbidden = err instanceof KubeApiError && (err.status === 403 || err.status === 401);
        this.setError(
          forbidden
            ? `${this.opts.kind}: ${err.reason} (${e.message.replace(/^.*?: \d+ \w+: /, '')})`
            : `${this.opts.kind}: ${e.message}`,
        );
        await this.sleep(this.backoff.next());
      }
    }
  }
}
