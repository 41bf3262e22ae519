/**
 * A protocol-level fake of the Kubernetes API server for tests, written from the public API documentation:
 * HTTPS on 127.0.0.1 with a throw-away CA, bearer-token users ("admin" may do everything, "viewer" only
 * get/list/watch, plus a deny table), discovery, list/get/create/update/patch/delete/deletecollection and
 * watch with real resourceVersion semantics, the scale and status subresources, `dryRun=All`,
 * SelfSubjectAccessReview / SelfSubjectRulesReview, Table output for `kubectl get`, and the controllers of
 * ./controller.ts (Deployment → ReplicaSets → Pods, HPA bounds).
 *
 * Proven against the real kubectl in test/kubectl/*.test.ts. See README.md next to this file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controllers } from './controller.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import {
  apiResourceList,
  applyDefaults,
  age,
  discoveryGroups,
  gv,
  qualified,
  RESOURCES,
  validate,
  validateEventsV1,
  type Cause,
  type KObj,
  type ResourceDef,
} from './resources.js';
import {
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectorToString,
  SelectorError,
  type FieldRequirement,
  type Requirement,
} from './selectors.js';
import { decodeProtobuf } from './protobuf.js';
import { json, Store, timestamp, type StoreEvent } from './store.js';
import { makeServerPki } from './tls.js';

export { REVISION, HASH_LABEL, templateHash, equalIgnoreHash } from './controller.js';
export type { KObj } from './resources.js';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  user: string;
  /** get|list|watch|create|update|patch|delete|deletecollection ('get' for discovery and other non-resource paths) */
  verb: string;
  /** plural resource ('' for discovery / non-resource paths) */
  resource: string;
  subresource?: string;
  namespace?: string;
  dryRun: boolean;
  /** API group of the resource ('' = core) */
  group?: string;
  name?: string;
  /** HTTP status the fake answered with (set when the answer was sent; watches: 200) */
  status?: number;
  /** Content-Type of a write's body (the patch type for PATCH) */
  contentType?: string;
  /** parsed JSON body of a write */
  body?: unknown;
}

export interface FakeApiServer {
  /** https://127.0.0.1:<random port> */
  url: string;
  caFile: string;
  /** Writes a kubeconfig (token auth, certificate-authority = caFile) and returns its path. */
  kubeconfig(
    user: 'admin' | 'viewer',
    opts?: { context?: string; namespace?: string; file?: string },
  ): string;
  /** every request, in order */
  requests: FakeRequest[];
  clearRequests(): void;
  /** Direct setup: stores the object (defaults + validation as the API server would; namespace made if missing). */
  create(obj: KObj): KObj;
  /** A copy of the stored object (kind: "Deployment", "deployments" or "deploy"; '' namespace for cluster-scoped). */
  get(kind: string, namespace: string, name: string): KObj | undefined;
  /** RBAC deny table: `verb` / `resource` may be '*'; without `subresource` only the main resource is denied. */
  deny(user: string, verb: string, resource: string, subresource?: string): void;
  /** close every open watch stream (the clients must re-watch); `abrupt` destroys the sockets instead */
  dropWatches(opts?: { abrupt?: boolean }): void;
  /** make every resourceVersion older than now "too old" → 410 Gone / Expired */
  compact(): void;
  /** ms from pod creation until Ready; also re-times pods still waiting (creation + ms, or now) */
  setReadyDelay(ms: number): void;
  stop(): Promise<void>;
  /** ms a deleted / scaled-away pod stays Terminating (deletionTimestamp set) before it is gone; 0 = at once */
  setTerminationDelay(ms: number): void;

  // ---- extras ----
  /** bearer tokens of the built-in users */
  tokens: Record<'admin' | 'viewer', string>;
  /** Direct replace (no resourceVersion check unless the object carries one that differs → throws). */
  update(obj: KObj): KObj;
  /** Direct delete (cascades to dependents like the garbage collector). */
  remove(kind: string, namespace: string, name: string): boolean;
  /** Copies of the stored objects of a kind (namespace undefined = all). */
  list(kind: string, namespace?: string): KObj[];
  /** undo `deny` */
  allow(user: string, verb: string, resource: string, subresource?: string): void;
  /** number of open watch streams (optionally of one resource) */
  openWatches(resource?: string): number;
  /** the current global resourceVersion */
  resourceVersion(): string;
  /** answer the next `times` requests matching verb/resource with this HTTP status (a Status body) */
  failNext(
    match: { verb?: string; resource?: string; subresource?: string },
    code: number,
    times?: number,
  ): void;
  /** polls `pred` every 10 ms until true (or throws after timeoutMs) */
  waitFor(pred: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /**
   * Simulates the API server going away: while on, every connection is reset right after the TLS handshake
   * (and open watches are cut); `refusedConnections()` counts the attempts, e.g. to check client back-off.
   */
  outage(on: boolean): void;
  refusedConnections(): number;
  /** resolves once every Deployment (of a namespace) is rolled out as `kubectl rollout status` counts it */
  waitForRollouts(opts?: { namespace?: string; timeoutMs?: number }): Promise<void>;
  /** number of stored objects of a kind (cheap; no copies) */
  count(kind: string): number;
  /** serialise every stored object once (what a real server's watch cache keeps), so a first big list is fast */
  warmCaches(): void;
}

export interface FakeApiServerOptions {
  /** ms from pod creation until its containers run and are Ready (default 100) */
  readyDelayMs?: number;
  seed?: (s: FakeApiServer) => void;
  /** interval of BOOKMARK events on watches that ask for them (default 1000 ms; the real server: ~1 min) */
  bookmarkIntervalMs?: number;
  /** HPA controller period (default 1000 ms; the real one: 15 s) */
  hpaSyncMs?: number;
  /** ms a deleted or scaled-away pod stays Terminating before it is gone (default 0: at once) */
  terminationDelayMs?: number;
  /** namespaces created at start (default: default, kube-system, kube-public) */
  namespaces?: string[];
}

const TOKENS = { admin: 'admin-token', viewer: 'viewer-token' } as const;
const READ_VERBS = new Set(['get', 'list', 'watch']);
const BY_GV = discoveryGroups();

function status(code: number, reason: string, message: string, details?: KObj): KObj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

class HttpError extends Error {
  constructor(readonly body: KObj) {
    super(body.message);
  }
}
const fail = (code: number, reason: string, message: string, details?: KObj): never => {
  throw new HttpError(status(code, reason, message, details));
};

function findDef(kind: string): ResourceDef {
  const k = kind.toLowerCase();
  const d =
    RESOURCES.find(
      (r) =>
        !r.virtual &&
        !r.toStorage &&
        (r.kind.toLowerCase() === k || r.resource === k || r.singular === k || r.shortNames?.includes(k)),
    ) ?? RESOURCES.find((r) => `${r.resource}.${r.group}` === k);
  if (!d) throw new Error(`fake kube-apiserver: unknown kind ${kind}`);
  return d;
}

function defForObject(o: KObj): ResourceDef {
  const api: string = o?.apiVersion ?? '';
  const [group, version] = api.includes('/') ? api.split('/') : ['', api];
  const d = RESOURCES.find(
    (r) => r.kind === o?.kind && r.group === group && r.version === version && !r.virtual,
  );
  if (!d) throw new Error(`fake kube-apiserver: unsupported apiVersion/kind ${api}/${o?.kind}`);
  return d;
}

interface Watcher {
  def: ResourceDef;
  namespace?: string;
  labels: Requirement[];
  fields: FieldRequirement[];
  res: ServerResponse;
  table: boolean;
  unsubscribe: () => void;
  timers: NodeJS.Timeout[];
  closed: boolean;
}

interface Route {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  sub?: string;
  verb: string;
}

const externalCache = new WeakMap<object, KObj>();

class Fake implements FakeApiServer {
  url = '';
  caFile = '';
  requests: FakeRequest[] = [];
  tokens = { ...TOKENS };
  readonly store = new Store();
  readonly controllers: Controllers;
  private server!: Server;
  private dir: string;
  private sockets = new Set<Socket>();
  private watchers = new Set<Watcher>();
  private denies: Array<{ user: string; verb: string; resource: string; subresource?: string }> = [];
  private failures: Array<{
    verb?: string;
    resource?: string;
    subresource?: string;
    code: number;
    times: number;
  }> = [];
  private bookmarkMs: number;
  private down = false;
  private refused = 0;

  constructor(opts: FakeApiServerOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
    this.bookmarkMs = opts.bookmarkIntervalMs ?? 1000;
    this.controllers = new Controllers(this.store, {
      readyDelayMs: opts.readyDelayMs ?? 100,
      hpaSyncMs: opts.hpaSyncMs ?? 1000,
      terminationDelayMs: opts.terminationDelayMs ?? 0,
    });
    for (const ns of opts.namespaces ?? ['default', 'kube-system', 'kube-public'])
      this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }

  async listen(): Promise<void> {
    const pki = makeServerPki(this.dir);
    this.caFile = pki.caFile;
    this.server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const body =
          err instanceof HttpError
            ? err.body
            : status(500, 'InternalError', `fake kube-apiserver: ${(err as Error)?.stack ?? String(err)}`);
        this.send(res, body.code, body);
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('secureConnection', (s: Socket) => {
      if (this.down) {
        this.refused++;
        s.destroy();
        return;
      }
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  // ---- public API ---------------------------------------------------------------------------------------------

  kubeconfig(
    user: 'admin' | 'viewer',
    opts: { context?: string; namespace?: string; file?: string } = {},
  ): string {
    const context = opts.context ?? 'fake';
    const file = opts.file ?? join(this.dir, `kubeconfig-${user}-${context}.yaml`);
    const yaml = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority: ${JSON.stringify(this.caFile)}`,
      'users:',
      `- name: ${user}`,
      '  user:',
      `    token: ${this.tokens[user]}`,
      'contexts:',
      `- name: ${JSON.stringify(context)}`,
      '  context:',
      '    cluster: fake',
      `    user: ${user}`,
      `    namespace: ${opts.namespace ?? 'default'}`,
      `current-context: ${JSON.stringify(context)}`,
      '',
    ].join('\n');
    writeFileSync(file, yaml, { mode: 0o600 });
    return file;
  }

  clearRequests(): void {
    this.requests = [];
  }

  create(obj: KObj): KObj {
    const def = defForObject(obj);
    const o = JSON.parse(JSON.stringify(obj));
    o.metadata ??= {};
    if (def.namespaced) {
      o.metadata.namespace ??= 'default';
      if (!this.store.get('namespaces', '', o.metadata.namespace))
        this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.metadata.namespace } });
    } else delete o.metadata.namespace;
    const stored = def.toStorage ? def.toStorage(o) : o;
    applyDefaults(def, stored);
    if (!stored.metadata.name && stored.metadata.generateName)
      stored.metadata.name = stored.metadata.generateName + Math.random().toString(36).slice(2, 7);
    const causes = validate(def, stored, undefined);
    if (causes.length) throw new Error(invalidMessage(def, stored, causes));
    if (this.store.get(def.storage, stored.metadata.namespace ?? '', stored.metadata.name))
      throw new Error(`${qualified(def)} "${stored.metadata.name}" already exists`);
    if (def.storage === 'secrets') materialiseStringData(stored);
    return clone(this.external(def, this.store.create(def.storage, stored)));
  }

  get(kind: string, namespace: string, name: string): KObj | undefined {
    const def = findDef(kind);
    const o = this.store.get(def.storage, def.namespaced ? namespace : '', name);
    return o ? clone(o) : undefined;
  }

  list(kind: string, namespace?: string): KObj[] {
    const def = findDef(kind);
    return this.store.list(def.storage, def.namespaced ? namespace : undefined).map(clone);
  }

  update(obj: KObj): KObj {
    const def = defForObject(obj);
    const ns = def.namespaced ? (obj.metadata?.namespace ?? 'default') : '';
    const cur = this.store.get(def.storage, ns, obj.metadata?.name);
    if (!cur) throw new Error(`${qualified(def)} "${obj.metadata?.name}" not found`);
    const o = clone(obj);
    o.metadata.namespace = def.namespaced ? ns : undefined;
    if (o.metadata.resourceVersion && o.metadata.resourceVersion !== cur.metadata.resourceVersion)
      throw new Error(
        `conflict: ${qualified(def)} "${o.metadata.name}" has resourceVersion ${cur.metadata.resourceVersion}`,
      );
    applyDefaults(def, o);
    const causes = validate(def, o, cur);
    if (causes.length) throw new Error(invalidMessage(def, o, causes));
    return clone(this.store.update(def.storage, o));
  }

  remove(kind: string, namespace: string, name: string): boolean {
    const def = findDef(kind);
    return this.deleteCascade(def.storage, def.namespaced ? namespace : '', name) !== undefined;
  }

  deny(user: string, verb: string, resource: string, subresource?: string): void {
    this.denies.push({ user, verb, resource, ...(subresource !== undefined ? { subresource } : {}) });
  }

  allow(user: string, verb: string, resource: string, subresource?: string): void {
    this.denies = this.denies.filter(
      (d) =>
        !(d.user === user && d.verb === verb && d.resource === resource && d.subresource === subresource),
    );
  }

  dropWatches(opts: { abrupt?: boolean } = {}): void {
    for (const w of [...this.watchers]) {
      if (opts.abrupt) w.res.socket?.destroy();
      else this.closeWatch(w);
    }
  }

  compact(): void {
    this.store.compact();
  }

  setReadyDelay(ms: number): void {
    this.controllers.setReadyDelay(ms);
  }

  outage(on: boolean): void {
    this.down = on;
    if (on) {
      for (const w of [...this.watchers]) w.res.socket?.destroy();
      for (const s of this.sockets) s.destroy();
    }
  }

  refusedConnections(): number {
    return this.refused;
  }

  setTerminationDelay(ms: number): void {
    this.controllers.opts.terminationDelayMs = ms;
  }

  openWatches(resource?: string): number {
    let n = 0;
    for (const w of this.watchers) if (!resource || w.def.resource === resource) n++;
    return n;
  }

  resourceVersion(): string {
    return String(this.store.rv);
  }

  failNext(match: { verb?: string; resource?: string; subresource?: string }, code: number, times = 1): void {
    this.failures.push({ ...match, code, times });
  }

  async waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end)
        throw new Error(`fake kube-apiserver: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitForRollouts(opts: { namespace?: string; timeoutMs?: number } = {}): Promise<void> {
    const done = (d: KObj) => {
      const n = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      return (
        (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
        (s.updatedReplicas ?? 0) === n &&
        (s.replicas ?? 0) === n &&
        (s.availableReplicas ?? 0) === n
      );
    };
    await this.waitFor(
      () => this.store.list('deployments', opts.namespace).every(done),
      opts.timeoutMs ?? 30_000,
      `every Deployment${opts.namespace ? ` in ${opts.namespace}` : ''} rolled out`,
    );
  }

  count(kind: string): number {
    return this.store.count(findDef(kind).storage);
  }

  warmCaches(): void {
    for (const d of RESOURCES) {
      if (d.virtual) continue;
      for (const o of this.store.list(d.storage)) json(this.external(d, o));
    }
  }

  async stop(): Promise<void> {
    this.controllers.stop();
    for (const w of [...this.watchers]) this.closeWatch(w);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------------

  private send(res: ServerResponse, code: number, body: unknown, raw?: string): void {
    const text = raw ?? JSON.stringify(body);
    const entry = (res as ServerResponse & { fakeEntry?: FakeRequest }).fakeEntry;
    if (entry) entry.status = code;
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-cache, private',
    });
    res.end(text);
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private authenticate(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization;
    if (!h?.startsWith('Bearer ')) return undefined;
    const token = h.slice(7).trim();
    return (Object.keys(this.tokens) as Array<'admin' | 'viewer'>).find((u) => this.tokens[u] === token);
  }

  /** RBAC: admin may do everything, viewer get/list/watch; the deny table overrides. */
  allowed(user: string, verb: string, resource: string, subresource?: string): boolean {
    const denied = this.denies.some(
      (d) =>
        d.user === user &&
        (d.verb === '*' || d.verb === verb) &&
        (d.resource === '*' || d.resource === resource) &&
        (d.subresource === '*' || (d.subresource ?? '') === (subresource ?? '')),
    );
    if (denied) return false;
    if (user === 'admin') return true;
    if (user === 'viewer') return READ_VERBS.has(verb);
    return false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const method = (req.method ?? 'GET').toUpperCase();
    const bodyBuf = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await this.readBody(req);
    const bodyText = bodyBuf.length ? bodyBuf.toString('utf8') : '';
    const user = this.authenticate(req);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    let route: Route | undefined;
    let routeError: HttpError | undefined;
    try {
      route = this.route(method, path, query);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      routeError = err;
    }
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    let body: unknown;
    let bodyError = '';
    if (bodyText) {
      try {
        body =
          contentType === 'application/vnd.kubernetes.protobuf'
            ? decodeProtobuf(bodyBuf)
            : JSON.parse(bodyText);
      } catch (err) {
        bodyError = (err as Error).message; // answered below as a 400 once the request is logged
      }
    }
    const entry: FakeRequest = {
      method,
      path,
      query,
      user: user ?? 'system:anonymous',
      verb: route?.verb ?? (method === 'GET' ? 'get' : method.toLowerCase()),
      resource: route?.def.resource ?? '',
      dryRun: query.dryRun === 'All',
      ...(route ? { group: route.def.group } : {}),
      ...(route?.sub ? { subresource: route.sub } : {}),
      ...(route?.namespace ? { namespace: route.namespace } : {}),
      ...(route?.name ? { name: route.name } : {}),
      ...(contentType && bodyText ? { contentType } : {}),
      ...(body !== undefined ? { body } : {}),
    };
    this.requests.push(entry);
    (res as ServerResponse & { fakeEntry?: FakeRequest }).fakeEntry = entry;

    if (!user) return this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      entry.status = 200;
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (!route) {
      if (routeError) throw routeError;
      const d = this.discovery(path);
      if (d === undefined)
        return this.send(
          res,
          404,
          status(404, 'NotFound', 'the server could not find the requested resource', {}),
        );
      return this.send(res, 200, d);
    }
    const failure = this.failures.find(
      (f) =>
        (!f.verb || f.verb === route!.verb) &&
        (!f.resource || f.resource === route!.def.resource) &&
        (f.subresource === undefined || f.subresource === (route!.sub ?? '')),
    );
    if (failure) {
      if (--failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      const reason =
        {
          403: 'Forbidden',
          404: 'NotFound',
          409: 'Conflict',
          410: 'Expired',
          429: 'TooManyRequests',
          500: 'InternalError',
          503: 'ServiceUnavailable',
          504: 'Timeout',
        }[failure.code] ?? 'Unknown';
      return this.send(
        res,
        failure.code,
        status(failure.code, reason, `injected failure ${failure.code} by the test`),
      );
    }
    if (bodyText && body === undefined && contentType === 'application/vnd.kubernetes.protobuf')
      return this.send(
        res,
        415,
        status(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${bodyError})`,
        ),
      );
    if (bodyText && body === undefined)
      return this.send(
        res,
        400,
        status(
          400,
          'BadRequest',
          `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${bodyError})`,
        ),
      );
    if (query.dryRun !== undefined && query.dryRun !== 'All')
      return this.send(
        res,
        400,
        status(400, 'BadRequest', `dryRun: Unsupported value: "${query.dryRun}": supported values: "All"`),
      );

    const { def } = route;
    const resourceForAuth = route.def.resource;
    if (!def.virtual && !this.allowed(user, route.verb, resourceForAuth, route.sub)) {
      const what = `${qualified(def)}${route.name ? ` "${route.name}"` : ''}`;
      const res2 = route.sub ? `${def.resource}/${route.sub}` : def.resource;
      const scope = route.namespace ? `in the namespace "${route.namespace}"` : 'at the cluster scope';
      return this.send(
        res,
        403,
        status(
          403,
          'Forbidden',
          `${what} is forbidden: User "${user}" cannot ${route.verb} resource "${res2}" in API group "${def.group}" ${scope}`,
          {
            ...(route.name ? { name: route.name } : {}),
            group: def.group,
            kind: def.resource,
          },
        ),
      );
    }
    const accept = String(req.headers.accept ?? '');
    const table = /as=Table/.test(accept);
    switch (route.verb) {
      case 'list':
        return this.send(res, 200, undefined, this.listText(route, query, table));
      case 'watch':
        return this.watch(route, query, req, res, table);
      case 'get':
        return this.send(res, 200, this.getObject(route, table, query));
      case 'create':
        return this.createFromRequest(res, route, body, query, user);
      case 'update':
        return this.send(res, 200, this.updateFromRequest(route, body, query));
      case 'patch':
        return this.send(res, 200, this.patchFromRequest(route, body, contentType, query));
      case 'delete':
        return this.deleteFromRequest(res, route, body, query);
      case 'deletecollection':
        return this.deleteCollection(res, route, query);
    }
    return this.send(
      res,
      405,
      status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
    );
  }

  private route(method: string, path: string, query: Record<string, string>): Route | undefined {
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (seg[0] === 'api' && seg.length >= 3) {
      group = '';
      version = seg[1]!;
      rest = seg.slice(2);
    } else if (seg[0] === 'apis' && seg.length >= 4) {
      group = seg[1]!;
      version = seg[2]!;
      rest = seg.slice(3);
    } else return undefined;
    const defs = BY_GV.get(group)?.get(version);
    if (!defs) return fail(404, 'NotFound', 'the server could not find the requested resource');
    let namespace: string | undefined;
    let def: ResourceDef | undefined;
    let tail: string[];
    const nsDef =
      rest[0] === 'namespaces' && rest.length >= 3
        ? defs.find((d) => d.resource === rest[2] && d.namespaced)
        : undefined;
    if (nsDef) {
      namespace = rest[1];
      def = nsDef;
      tail = rest.slice(3);
    } else {
      def = defs.find((d) => d.resource === rest[0]);
      tail = rest.slice(1);
    }
    if (!def || tail.length > 2)
      return fail(404, 'NotFound', 'the server could not find the requested resource');
    const name = tail[0];
    const sub = tail[1];
    if (sub && !(def.subresources as string[]).includes(sub))
      return fail(404, 'NotFound', 'the server could not find the requested resource');
    const watch = query.watch === '1' || query.watch === 'true';
    let verb: string;
    switch (method) {
      case 'GET':
        verb = watch ? 'watch' : name ? 'get' : 'list';
        break;
      case 'POST':
        if (name)
          return fail(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = name ? 'delete' : 'deletecollection';
        break;
      default:
        return fail(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
    }
    if ((verb === 'update' || verb === 'patch') && !name)
      return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (!def.verbs.includes(verb) && !(sub && ['get', 'update', 'patch'].includes(verb)))
      return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (def.namespaced && !namespace && name)
      return fail(404, 'NotFound', 'the server could not find the requested resource');
    return {
      def,
      verb,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(sub ? { sub } : {}),
    };
  }

  private discovery(path: string): KObj | undefined {
    if (path === '/version')
      return {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.4-fake',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.23.8',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    if (path === '/api')
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: this.url.replace('https://', '') },
        ],
      };
    const groupDoc = (g: string) => {
      const versions = [...(BY_GV.get(g)?.keys() ?? [])].map((v) => ({
        groupVersion: `${g}/${v}`,
        version: v,
      }));
      return { name: g, versions, preferredVersion: versions[0] };
    };
    if (path === '/apis')
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...BY_GV.keys()].filter((g) => g !== '').map(groupDoc),
      };
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
    if (!m) return undefined;
    if (m[1]) return apiResourceList('', 'v1', BY_GV.get('')!.get('v1')!);
    const g = m[2]!;
    if (!BY_GV.has(g)) return undefined;
    if (!m[3]) return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) };
    const defs = BY_GV.get(g)!.get(m[3]);
    return defs ? apiResourceList(g, m[3], defs) : undefined;
  }

  // ---- reads --------------------------------------------------------------------------------------------------

  /** The object as this API version shows it (events.k8s.io/v1 is converted from core/v1). */
  external(def: ResourceDef, o: KObj): KObj {
    if (!def.toExternal) return o;
    let e = externalCache.get(o);
    if (!e) {
      e = def.toExternal(o);
      externalCache.set(o, e);
    }
    return e;
  }

  private selectors(query: Record<string, string>): { labels: Requirement[]; fields: FieldRequirement[] } {
    try {
      return {
        labels: parseLabelSelector(query.labelSelector),
        fields: parseFieldSelector(query.fieldSelector),
      };
    } catch (err) {
      if (err instanceof SelectorError) return fail(400, 'BadRequest', err.message);
      throw err;
    }
  }

  private listText(route: Route, query: Record<string, string>, table: boolean): string {
    const { def } = route;
    const { labels, fields } = this.selectors(query);
    let listRv = this.store.rv;
    let startAfter: string | undefined;
    if (query.continue) {
      let tok: { rv: number; start: string };
      try {
        tok = JSON.parse(Buffer.from(query.continue, 'base64').toString('utf8'));
      } catch (err) {
        void err;
        return fail(400, 'BadRequest', 'continue key is not valid: illegal base64 data');
      }
      if (tok.rv < this.store.oldestRv)
        fail(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      listRv = tok.rv;
      startAfter = tok.start;
    } else if (query.resourceVersion && query.resourceVersion !== '0') {
      const rv = Number(query.resourceVersion);
      if (!Number.isInteger(rv))
        fail(
          400,
          'BadRequest',
          `resourceVersion: Invalid value: "${query.resourceVersion}": must be an integer`,
        );
      if (query.resourceVersionMatch === 'Exact' && rv < this.store.oldestRv)
        fail(410, 'Expired', `The resourceVersion for the provided list is too old.`);
    }
    const all = this.store.list(def.storage, route.namespace);
    let from = 0;
    if (startAfter !== undefined) {
      // binary search in key order (namespace/name) for the first key after the token
      const keyOf = (o: KObj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keyOf(all[mid]) <= startAfter) lo = mid + 1;
        else hi = mid;
      }
      from = lo;
    }
    const filtered = labels.length > 0 || fields.length > 0;
    const items: KObj[] = [];
    for (let i = from; i < all.length; i++) {
      const e = this.external(def, all[i]);
      if (filtered && (!matchLabels(labels, e.metadata.labels) || !matchFields(fields, e))) continue;
      items.push(e);
    }
    // resourceVersion=0 is served from the watch cache, which ignores limit (as the real server does)
    const limit = query.resourceVersion === '0' && !query.continue ? 0 : Number(query.limit ?? 0);
    const meta: KObj = { resourceVersion: String(listRv) };
    let page = items;
    if (limit > 0 && items.length > limit) {
      page = items.slice(0, limit);
      const last = page[page.length - 1]!;
      meta.continue = Buffer.from(
        JSON.stringify({ rv: listRv, start: `${last.metadata.namespace ?? ''}/${last.metadata.name}` }),
      ).toString('base64');
      meta.remainingItemCount = items.length - limit;
    }
    if (table) return JSON.stringify(this.table(def, page, meta, query.includeObject));
    return `{"kind":${JSON.stringify(`${def.kind}List`)},"apiVersion":${JSON.stringify(gv(def))},"metadata":${JSON.stringify(meta)},"items":[${page.map((o) => json(o)).join(',')}]}`;
  }

  table(def: ResourceDef, objs: KObj[], meta: KObj, includeObject?: string): KObj {
    const now = Date.now();
    const t = def.table ?? {
      columns: [
        {
          name: 'Name',
          type: 'string',
          format: 'name',
          description: 'Name must be unique within a namespace.',
          priority: 0,
        },
        {
          name: 'Created At',
          type: 'date',
          description:
            'CreationTimestamp is a timestamp representing the server time when this object was created.',
          priority: 0,
        },
      ],
      cells: (o: KObj) => [o.metadata.name, o.metadata.creationTimestamp],
    };
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
      columnDefinitions: t.columns,
      rows: objs.map((o) => ({
        cells: t.cells(o, now),
        object:
          includeObject === 'None'
            ? null
            : includeObject === 'Object'
              ? o
              : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
      })),
    };
  }

  private current(route: Route): KObj {
    const { def } = route;
    const o = this.store.get(def.storage, route.namespace ?? '', route.name!);
    if (!o)
      fail(404, 'NotFound', `${qualified(def)} "${route.name}" not found`, {
        name: route.name,
        group: def.group,
        kind: def.resource,
      });
    return o;
  }

  private getObject(route: Route, table: boolean, query: Record<string, string>): KObj {
    const o = this.current(route);
    if (route.sub === 'scale') return toScale(o);
    const e = this.external(route.def, o);
    if (table && !route.sub)
      return this.table(route.def, [e], { resourceVersion: e.metadata.resourceVersion }, query.includeObject);
    return e;
  }

  // ---- watch --------------------------------------------------------------------------------------------------

  private watch(
    route: Route,
    query: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
    table: boolean,
  ): void {
    const { def } = route;
    const sel = this.selectors(query);
    const labels = sel.labels;
    const fields = route.name
      ? [...sel.fields, { path: 'metadata.name', op: 'eq' as const, value: route.name }]
      : sel.fields;
    const bookmarks = query.allowWatchBookmarks === 'true' || query.allowWatchBookmarks === '1';
    const entry = (res as ServerResponse & { fakeEntry?: FakeRequest }).fakeEntry;
    if (entry) entry.status = 200;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    const w: Watcher = {
      def,
      labels,
      fields,
      res,
      table,
      unsubscribe: () => undefined,
      timers: [],
      closed: false,
      ...(route.namespace ? { namespace: route.namespace } : {}),
    };
    const write = (type: string, o: KObj) => {
      if (w.closed) return;
      if (w.table && type !== 'BOOKMARK' && type !== 'ERROR')
        res.write(
          `{"type":"${type}","object":${JSON.stringify(this.table(def, [o], { resourceVersion: o.metadata.resourceVersion }, query.includeObject))}}\n`,
        );
      else res.write(`{"type":"${type}","object":${json(o)}}\n`);
    };
    const matches = (o: KObj | undefined): KObj | undefined => {
      if (!o) return undefined;
      if (w.namespace !== undefined && (o.metadata.namespace ?? '') !== w.namespace) return undefined;
      const e = this.external(def, o);
      return matchLabels(w.labels, e.metadata.labels) && matchFields(w.fields, e) ? e : undefined;
    };
    const deliver = (ev: StoreEvent) => {
      const now = matches(ev.obj);
      if (ev.type === 'ADDED') {
        if (now) write('ADDED', now);
      } else if (ev.type === 'DELETED') {
        if (matches(ev.prev ?? ev.obj)) write('DELETED', this.external(def, ev.obj));
      } else {
        const before = matches(ev.prev);
        if (now && before) write('MODIFIED', now);
        else if (now) write('ADDED', now);
        else if (before) write('DELETED', this.external(def, ev.obj));
      }
    };
    const rvParam = query.resourceVersion ?? '';
    const sendInitial = query.sendInitialEvents === 'true';
    if (rvParam === '' || rvParam === '0' || sendInitial) {
      for (const o of this.store.list(def.storage, route.namespace)) {
        const e = matches(o);
        if (e) write('ADDED', e);
      }
      if (sendInitial && bookmarks)
        res.write(
          `${JSON.stringify({ type: 'BOOKMARK', object: { kind: def.kind, apiVersion: gv(def), metadata: { resourceVersion: String(this.store.rv), annotations: { 'k8s.io/initial-events-end': 'true' } } } })}\n`,
        );
    } else {
      const rv = Number(rvParam);
      const evs = Number.isInteger(rv) ? this.store.since(def.storage, rv) : 'expired';
      if (evs === 'expired') {
        res.write(
          `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', Number.isInteger(rv) ? `too old resource version: ${rv} (${this.store.oldestRv})` : `invalid resource version: ${rvParam}`) })}\n`,
        );
        res.end();
        return;
      }
      for (const ev of evs) deliver(ev);
    }
    w.unsubscribe = this.store.subscribe(def.storage, deliver);
    this.watchers.add(w);
    if (bookmarks) {
      const t = setInterval(() => {
        if (!w.closed)
          res.write(
            `${JSON.stringify({ type: 'BOOKMARK', object: { kind: def.kind, apiVersion: gv(def), metadata: { resourceVersion: String(this.store.rv) } } })}\n`,
          );
      }, this.bookmarkMs);
      w.timers.push(t);
    }
    const timeout = Number(query.timeoutSeconds ?? 0);
    if (timeout > 0) w.timers.push(setTimeout(() => this.closeWatch(w), timeout * 1000));
    req.on('close', () => this.closeWatch(w));
    res.on('close', () => this.closeWatch(w));
    res.on('error', () => this.closeWatch(w)); // a client gone mid-write: stop writing to it
  }

  private closeWatch(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    w.unsubscribe();
    for (const t of w.timers) clearTimeout(t);
    this.watchers.delete(w);
    if (!w.res.writableEnded && !w.res.destroyed) w.res.end();
  }

  // ---- writes -------------------------------------------------------------------------------------------------

  private checkBody(route: Route, body: unknown, kind?: string): KObj {
    const { def } = route;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      fail(400, 'BadRequest', 'the body of the request must be a JSON object');
    const o = clone(body as KObj);
    const wantKind = kind ?? def.kind;
    const wantApi = kind === 'Scale' ? 'autoscaling/v1' : gv(def);
    if (o.kind !== undefined && o.kind !== wantKind)
      fail(
        400,
        'BadRequest',
        `the API version in the data (${o.apiVersion}) does not match the expected API version (${wantApi})`,
      );
    if (
      o.apiVersion !== undefined &&
      o.apiVersion !== wantApi &&
      !(kind === 'Scale' && /^autoscaling\//.test(o.apiVersion))
    )
      fail(
        400,
        'BadRequest',
        `the API version in the data (${o.apiVersion}) does not match the expected API version (${wantApi})`,
      );
    o.kind = def.kind;
    o.apiVersion = gv(def);
    o.metadata ??= {};
    if (def.namespaced) {
      if (o.metadata.namespace && route.namespace && o.metadata.namespace !== route.namespace)
        fail(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      o.metadata.namespace = route.namespace;
    } else delete o.metadata.namespace;
    return o;
  }

  private invalid(def: ResourceDef, o: KObj, causes: Cause[]): never {
    return fail(422, 'Invalid', invalidMessage(def, o, causes), {
      name: o.metadata?.name,
      group: def.group,
      kind: def.kind,
      causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
    });
  }

  private createFromRequest(
    res: ServerResponse,
    route: Route,
    body: unknown,
    query: Record<string, string>,
    user: string,
  ): void {
    const { def } = route;
    if (def.resource === 'selfsubjectreviews')
      return this.send(res, 201, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
        metadata: { creationTimestamp: null },
        status: {
          userInfo: {
            username: user,
            uid: `uid-${user}`,
            groups: user === 'admin' ? ['system:masters', 'system:authenticated'] : ['system:authenticated'],
          },
        },
      });
    if (def.resource === 'selfsubjectaccessreviews')
      return this.send(res, 201, this.accessReview(route, body, user));
    if (def.resource === 'selfsubjectrulesreviews')
      return this.send(res, 201, this.rulesReview(route, body, user));
    if (def.namespaced && !route.namespace)
      fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const input = this.checkBody(route, body);
    if (def.namespaced && !this.store.get('namespaces', '', route.namespace!))
      fail(404, 'NotFound', `namespaces "${route.namespace}" not found`, {
        name: route.namespace,
        kind: 'namespaces',
      });
    if (def.group === 'events.k8s.io') {
      const causes = validateEventsV1(input);
      if (causes.length) this.invalid(def, input, causes);
    }
    const o = def.toStorage ? def.toStorage(input) : input;
    if (!o.metadata.name && o.metadata.generateName) {
      do o.metadata.name = o.metadata.generateName + Math.random().toString(36).slice(2, 7);
      while (this.store.get(def.storage, route.namespace ?? '', o.metadata.name));
    }
    for (const k of [
      'uid',
      'resourceVersion',
      'creationTimestamp',
      'generation',
      'deletionTimestamp',
      'managedFields',
    ])
      delete o.metadata[k];
    if (def.subresources.includes('status') && def.storage !== 'namespaces')
      o.status = def.storage === 'pods' ? { phase: 'Pending', qosClass: 'BestEffort' } : {};
    applyDefaults(def, o);
    if (def.storage === 'secrets') materialiseStringData(o);
    const causes = validate(def, o, undefined);
    if (causes.length) this.invalid(def, o, causes);
    if (this.store.get(def.storage, route.namespace ?? '', o.metadata.name))
      fail(409, 'AlreadyExists', `${qualified(def)} "${o.metadata.name}" already exists`, {
        name: o.metadata.name,
        group: def.group,
        kind: def.resource,
      });
    if (query.dryRun === 'All') {
      const preview = { ...o, metadata: { ...o.metadata, uid: '', creationTimestamp: timestamp() } };
      if (def.storage === 'deployments' || def.storage === 'replicasets') preview.metadata.generation = 1;
      return this.send(res, 201, this.external(def, preview));
    }
    return this.send(res, 201, this.external(def, this.store.create(def.storage, o)));
  }

  /** Applies a new version of an object (update or the result of a patch), honouring subresource and dryRun. */
  private commit(route: Route, cur: KObj, next: KObj, query: Record<string, string>): KObj {
    const { def } = route;
    if (next.metadata?.resourceVersion && next.metadata.resourceVersion !== cur.metadata.resourceVersion)
      fail(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(def)} "${cur.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        {
          name: cur.metadata.name,
          group: def.group,
          kind: def.resource,
        },
      );
    if (next.metadata?.uid && next.metadata.uid !== cur.metadata.uid)
      fail(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(def)} "${cur.metadata.name}": Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    if (next.metadata?.name !== cur.metadata.name)
      fail(
        400,
        'BadRequest',
        `the name of the object (${next.metadata?.name}) does not match the name on the URL (${cur.metadata.name})`,
      );
    let o: KObj;
    if (route.sub === 'status') o = { ...cur, status: next.status };
    else {
      o = { ...next, metadata: { ...next.metadata, namespace: cur.metadata.namespace } };
      if (def.subresources.includes('status')) {
        if (cur.status === undefined) delete o.status;
        else o.status = cur.status;
      }
    }
    applyDefaults(def, o);
    if (def.storage === 'secrets') materialiseStringData(o);
    const causes = validate(def, o, cur);
    if (causes.length) this.invalid(def, o, causes);
    if (query.dryRun === 'All') {
      const preview = {
        ...o,
        metadata: {
          ...o.metadata,
          uid: cur.metadata.uid,
          creationTimestamp: cur.metadata.creationTimestamp,
          resourceVersion: cur.metadata.resourceVersion,
        },
      };
      if (cur.metadata.generation !== undefined)
        preview.metadata.generation =
          cur.metadata.generation + (JSON.stringify(o.spec) !== JSON.stringify(cur.spec) ? 1 : 0);
      return this.external(def, preview);
    }
    return this.external(def, this.store.update(def.storage, o));
  }

  private updateFromRequest(route: Route, body: unknown, query: Record<string, string>): KObj {
    const cur = this.current(route);
    if (route.sub === 'scale') {
      const scale = this.checkBody(route, body, 'Scale');
      return toScale(this.commit({ ...route, sub: undefined }, cur, fromScale(cur, scale), query));
    }
    const input = this.checkBody(route, body);
    const o = route.def.toStorage ? route.def.toStorage(input) : input;
    return this.commit(route, cur, o, query);
  }

  private patchFromRequest(
    route: Route,
    body: unknown,
    contentType: string,
    query: Record<string, string>,
  ): KObj {
    const cur = this.current(route);
    const base = route.sub === 'scale' ? toScale(cur) : this.external(route.def, cur);
    let patched: KObj;
    try {
      switch (contentType) {
        case 'application/json-patch+json':
          patched = jsonPatch(base, body);
          break;
        case 'application/merge-patch+json':
          patched = mergePatch(base, body);
          break;
        case 'application/strategic-merge-patch+json':
          if (route.def.group === 'events.k8s.io' || route.sub === 'scale') patched = mergePatch(base, body);
          else patched = strategicMergePatch(base, body);
          break;
        case 'application/apply-patch+yaml':
          return fail(
            415,
            'UnsupportedMediaType',
            'the fake kube-apiserver does not implement server-side apply',
          );
        default:
          return fail(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
          );
      }
    } catch (err) {
      if (err instanceof PatchError) {
        if (err.code === 400) return fail(400, 'BadRequest', err.message);
        return fail(
          422,
          'Invalid',
          `the server rejected our request due to an error in our request: ${err.message}`,
        );
      }
      throw err;
    }
    if (!patched || typeof patched !== 'object')
      return fail(422, 'Invalid', 'the patched object is not an object');
    if (route.sub === 'scale')
      return toScale(this.commit({ ...route, sub: undefined }, cur, fromScale(cur, patched), query));
    const o = route.def.toStorage ? route.def.toStorage(patched) : patched;
    return this.commit(route, cur, o, query);
  }

  private deleteCascade(storage: string, ns: string, name: string, orphan = false): KObj | undefined {
    const gone = this.store.delete(storage, ns, name);
    if (!gone) return undefined;
    if (storage === 'namespaces') {
      for (const d of RESOURCES) {
        if (!d.namespaced || d.virtual || d.group === 'events.k8s.io') continue;
        for (const o of this.store.list(d.storage, name)) this.store.delete(d.storage, name, o.metadata.name);
      }
    } else if (!orphan) {
      for (const dep of this.store.allDependents(gone.metadata.uid))
        this.deleteCascade(dep.storage, dep.obj.metadata.namespace ?? '', dep.obj.metadata.name);
    }
    return gone;
  }

  private deleteFromRequest(
    res: ServerResponse,
    route: Route,
    body: unknown,
    query: Record<string, string>,
  ): void {
    const { def } = route;
    const cur = this.current(route);
    const opts = (body && typeof body === 'object' ? body : {}) as KObj;
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== cur.metadata.uid)
      fail(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(def)} "${cur.metadata.name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion)
      fail(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(def)} "${cur.metadata.name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`,
      );
    const dry = query.dryRun === 'All' || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All'));
    const orphan =
      (opts.propagationPolicy ?? query.propagationPolicy) === 'Orphan' || opts.orphanDependents === true;
    const gone = dry
      ? cur
      : def.storage === 'pods'
        ? this.controllers.terminatePod(cur)
        : this.deleteCascade(def.storage, route.namespace ?? '', route.name!, orphan);
    if (def.storage === 'pods' || def.storage === 'namespaces')
      return this.send(res, 200, this.external(def, gone));
    return this.send(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: cur.metadata.name, group: def.group, kind: def.resource, uid: cur.metadata.uid },
    });
  }

  private deleteCollection(res: ServerResponse, route: Route, query: Record<string, string>): void {
    const { def } = route;
    const { labels, fields } = this.selectors(query);
    const gone: KObj[] = [];
    for (const o of this.store.list(def.storage, route.namespace)) {
      const e = this.external(def, o);
      if (!matchLabels(labels, e.metadata.labels) || !matchFields(fields, e)) continue;
      if (query.dryRun !== 'All')
        this.deleteCascade(def.storage, o.metadata.namespace ?? '', o.metadata.name);
      gone.push(e);
    }
    this.send(res, 200, {
      kind: `${def.kind}List`,
      apiVersion: gv(def),
      metadata: { resourceVersion: String(this.store.rv) },
      items: gone,
    });
  }

  // ---- access reviews -----------------------------------------------------------------------------------------

  private accessReview(route: Route, body: unknown, user: string): KObj {
    const o = this.checkBody(route, body);
    const ra = o.spec?.resourceAttributes;
    const nra = o.spec?.nonResourceAttributes;
    let allowed: boolean;
    let reason: string;
    if (ra) {
      const review =
        ra.group === 'authorization.k8s.io' &&
        ra.verb === 'create' &&
        /^selfsubject(access|rules)reviews$/.test(ra.resource ?? '');
      allowed = review || this.allowed(user, ra.verb ?? '', ra.resource ?? '', ra.subresource || undefined); // system:basic-user
      if (user === 'admin' && allowed)
        reason =
          'RBAC: allowed by ClusterRoleBinding "fake-admin" of ClusterRole "cluster-admin" to User "admin"';
      else if (allowed)
        reason = 'RBAC: allowed by ClusterRoleBinding "fake-viewer" of ClusterRole "view" to User "viewer"';
      else reason = '';
    } else if (nra) {
      allowed = user === 'admin' || (nra.verb ?? 'get') === 'get';
      reason = allowed ? 'RBAC: allowed by ClusterRoleBinding "system:discovery"' : '';
    } else
      return this.invalid(route.def, o, [
        {
          field: 'spec.resourceAttributes',
          reason: 'FieldValueRequired',
          message:
            'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
        },
      ]);
    return {
      ...o,
      metadata: { ...o.metadata, creationTimestamp: null },
      status: { allowed, ...(reason ? { reason } : {}) },
    };
  }

  private rulesReview(route: Route, body: unknown, user: string): KObj {
    const o = this.checkBody(route, body);
    const verbs = user === 'admin' ? ['*'] : ['get', 'list', 'watch'];
    return {
      ...o,
      metadata: { ...o.metadata, creationTimestamp: null },
      status: {
        resourceRules: [
          {
            verbs: ['create'],
            apiGroups: ['authorization.k8s.io'],
            resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
          },
          { verbs, apiGroups: ['*'], resources: ['*'] },
        ],
        nonResourceRules: [
          {
            verbs: ['get'],
            nonResourceURLs: [
              '/api',
              '/api/*',
              '/apis',
              '/apis/*',
              '/healthz',
              '/livez',
              '/readyz',
              '/version',
              '/version/',
            ],
          },
        ],
        incomplete: false,
      },
    };
  }
}

function clone<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

function invalidMessage(def: ResourceDef, o: KObj, causes: Cause[]): string {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const kind = def.group ? `${def.kind}.${def.group}` : def.kind;
  return `${kind} "${o.metadata?.name ?? ''}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
}

function materialiseStringData(o: KObj): void {
  if (!o.stringData) return;
  o.data = { ...(o.data ?? {}) };
  for (const [k, v] of Object.entries(o.stringData as Record<string, string>))
    o.data[k] = Buffer.from(String(v)).toString('base64');
  delete o.stringData;
}

/** autoscaling/v1 Scale of a Deployment or ReplicaSet. */
function toScale(o: KObj): KObj {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: selectorToString(o.spec?.selector) },
  };
}

function fromScale(cur: KObj, scale: KObj): KObj {
  const o = clone(cur);
  const r = scale.spec?.replicas ?? 0; // Go clients omit a zero (omitempty)
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0)
    fail(
      422,
      'Invalid',
      `Scale.autoscaling "${cur.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`,
    );
  o.spec.replicas = r;
  o.metadata.resourceVersion = scale.metadata?.resourceVersion || undefined;
  if (!o.metadata.resourceVersion) delete o.metadata.resourceVersion;
  return o;
}

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const f = new Fake(opts);
  try {
    await f.listen();
    opts.seed?.(f);
  } catch (err) {
    await f.stop();
    throw err;
  }
  return f;
}

export { age, TOKENS };
