/**
 * The fake's etcd: objects by storage / namespace / name, one global resourceVersion counter, an event log for
 * watches that resume from a resourceVersion (older than the log → 410 Expired), an index of dependents by
 * their controller owner's uid, and per-storage listeners for watch fan-out and the controllers.
 *
 * Stored objects are never mutated in place: every write stores a new object, so the event log and watchers
 * can hold references, and each object is serialised at most once (`json()`).
 */
import { randomUUID } from 'node:crypto';
import type { KObj } from './resources.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  storage: string;
  type: EventType;
  obj: KObj;
  /** the previous version (MODIFIED, DELETED) */
  prev?: KObj;
}

export type Listener = (e: StoreEvent) => void;

/** Storages whose objects carry metadata.generation, bumped on every spec change. */
const WITH_GENERATION = new Set([
  'deployments',
  'replicasets',
  'horizontalpodautoscalers',
  'namespaces',
  'services',
]);

const LOG_CAP = 200_000;

let lastSecond = -1;
let lastStamp = '';
/** RFC 3339 with whole seconds, as metav1.Time serialises */
export function timestamp(ms = Date.now()): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastStamp = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastStamp;
}

const jsonCache = new WeakMap<object, string>();
/** JSON text of a stored (immutable) object, computed once. */
export function json(o: object): string {
  let s = jsonCache.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    jsonCache.set(o, s);
  }
  return s;
}

export function controllerOf(o: KObj): KObj | undefined {
  return (o?.metadata?.ownerReferences as KObj[] | undefined)?.find((r) => r.controller === true);
}

export class Store {
  rv = 1;
  /** a watch or continue token from a resourceVersion below this is answered with 410 Expired */
  oldestRv = 1;
  private data = new Map<string, Map<string, Map<string, KObj>>>();
  private log: StoreEvent[] = [];
  private listeners = new Map<string, Set<Listener>>();
  /** controller owner uid → keys "storage\0namespace\0name" of its dependents */
  private owned = new Map<string, Set<string>>();

  private bucket(storage: string, ns: string, create: boolean): Map<string, KObj> | undefined {
    let byNs = this.data.get(storage);
    if (!byNs) {
      if (!create) return undefined;
      byNs = new Map();
      this.data.set(storage, byNs);
    }
    let byName = byNs.get(ns);
    if (!byName && create) {
      byName = new Map();
      byNs.set(ns, byName);
    }
    return byName;
  }

  get(storage: string, ns: string, name: string): KObj | undefined {
    return this.bucket(storage, ns, false)?.get(name);
  }

  /** sorted namespace / name arrays per storage, rebuilt lazily after a create or delete */
  private sorted = new Map<string, { spaces?: string[]; names: Map<string, string[]> }>();

  private sortedOf(storage: string) {
    let c = this.sorted.get(storage);
    if (!c) this.sorted.set(storage, (c = { names: new Map() }));
    return c;
  }

  private invalidate(storage: string, ns: string, namespaceSetChanged: boolean): void {
    const c = this.sorted.get(storage);
    if (!c) return;
    c.names.delete(ns);
    if (namespaceSetChanged) c.spaces = undefined;
  }

  /** Objects sorted by namespace then name (etcd key order); `ns` undefined = every namespace. */
  list(storage: string, ns?: string): KObj[] {
    const byNs = this.data.get(storage);
    if (!byNs) return [];
    const c = this.sortedOf(storage);
    const spaces = ns === undefined ? (c.spaces ??= [...byNs.keys()].sort()) : [ns];
    const out: KObj[] = [];
    for (const n of spaces) {
      const b = byNs.get(n);
      if (!b) continue;
      let names = c.names.get(n);
      if (!names) c.names.set(n, (names = [...b.keys()].sort()));
      for (const name of names) out.push(b.get(name));
    }
    return out;
  }

  count(storage: string): number {
    let n = 0;
    for (const b of this.data.get(storage)?.values() ?? []) n += b.size;
    return n;
  }

  /** Dependents (by controller ownerReference) of the object with this uid in one storage. */
  dependents(ownerUid: string, storage: string): KObj[] {
    const out: KObj[] = [];
    for (const key of this.owned.get(ownerUid) ?? []) {
      const [s, ns, name] = key.split('\0') as [string, string, string];
      if (s !== storage) continue;
      const o = this.get(s, ns, name);
      if (o) out.push(o);
    }
    return out;
  }

  allDependents(ownerUid: string): Array<{ storage: string; obj: KObj }> {
    const out: Array<{ storage: string; obj: KObj }> = [];
    for (const key of this.owned.get(ownerUid) ?? []) {
      const [s, ns, name] = key.split('\0') as [string, string, string];
      const o = this.get(s, ns, name);
      if (o) out.push({ storage: s, obj: o });
    }
    return out;
  }

  private index(storage: string, o: KObj, add: boolean): void {
    const c = controllerOf(o);
    if (!c?.uid) return;
    const key = `${storage}\0${o.metadata.namespace ?? ''}\0${o.metadata.name}`;
    let set = this.owned.get(c.uid);
    if (add) {
      if (!set) this.owned.set(c.uid, (set = new Set()));
      set.add(key);
    } else if (set) {
      set.delete(key);
      if (set.size === 0) this.owned.delete(c.uid);
    }
  }

  /** Stores a new object: fills uid, resourceVersion, creationTimestamp (and generation). Caller validated it. */
  create(storage: string, input: KObj): KObj {
    const o = { ...input, metadata: { ...input.metadata } };
    const ns = o.metadata.namespace ?? '';
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = timestamp();
    if (WITH_GENERATION.has(storage)) o.metadata.generation = 1;
    o.metadata.resourceVersion = String(++this.rv);
    const hadNs = this.data.get(storage)?.has(ns) ?? false;
    this.bucket(storage, ns, true)!.set(o.metadata.name, o);
    this.invalidate(storage, ns, !hadNs);
    this.index(storage, o, true);
    this.emit({ rv: this.rv, storage, type: 'ADDED', obj: o });
    return o;
  }

  /**
   * Replaces an object. Identity fields come from the stored version; generation is bumped when the spec
   * changed. Returns the stored object (or the previous one when nothing changed and `skipNoop`).
   */
  update(storage: string, input: KObj, opts: { skipNoop?: boolean } = {}): KObj {
    const ns = input.metadata.namespace ?? '';
    const prev = this.get(storage, ns, input.metadata.name);
    if (!prev) throw new Error(`update of missing ${storage} ${ns}/${input.metadata.name}`);
    const o = { ...input, metadata: { ...input.metadata } };
    o.metadata.uid = prev.metadata.uid;
    o.metadata.creationTimestamp = prev.metadata.creationTimestamp;
    if (prev.metadata.deletionTimestamp) {
      o.metadata.deletionTimestamp = prev.metadata.deletionTimestamp;
      o.metadata.deletionGracePeriodSeconds = prev.metadata.deletionGracePeriodSeconds;
    }
    if (WITH_GENERATION.has(storage)) {
      o.metadata.generation = prev.metadata.generation ?? 1;
      if (o.spec !== prev.spec && JSON.stringify(o.spec) !== JSON.stringify(prev.spec))
        o.metadata.generation++;
    }
    if (opts.skipNoop) {
      o.metadata.resourceVersion = prev.metadata.resourceVersion;
      if (JSON.stringify(o) === json(prev)) return prev;
    }
    o.metadata.resourceVersion = String(++this.rv);
    this.bucket(storage, ns, true)!.set(o.metadata.name, o);
    this.index(storage, prev, false);
    this.index(storage, o, true);
    this.emit({ rv: this.rv, storage, type: 'MODIFIED', obj: o, prev });
    return o;
  }

  delete(storage: string, ns: string, name: string): KObj | undefined {
    const b = this.bucket(storage, ns, false);
    const prev = b?.get(name);
    if (!b || !prev) return undefined;
    b.delete(name);
    this.invalidate(storage, ns, false);
    this.index(storage, prev, false);
    const o = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(++this.rv) } };
    this.emit({ rv: this.rv, storage, type: 'DELETED', obj: o, prev });
    return o;
  }

  private emit(e: StoreEvent): void {
    this.log.push(e);
    if (this.log.length > LOG_CAP) {
      const drop = this.log.splice(0, LOG_CAP / 2);
      this.oldestRv = drop[drop.length - 1]!.rv;
    }
    for (const l of this.listeners.get(e.storage) ?? []) l(e);
  }

  /** Events of one storage after `rv`, or 'expired' when the log no longer reaches back that far. */
  since(storage: string, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.oldestRv) return 'expired';
    const out: StoreEvent[] = [];
    // binary search the first event with rv > given
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length; i++) if (this.log[i]!.storage === storage) out.push(this.log[i]!);
    return out;
  }

  /** Forget history: every resourceVersion older than now becomes too old. */
  compact(): void {
    this.oldestRv = this.rv;
    this.log = [];
  }

  subscribe(storage: string, l: Listener): () => void {
    let set = this.listeners.get(storage);
    if (!set) this.listeners.set(storage, (set = new Set()));
    set.add(l);
    return () => set!.delete(l);
  }
}
