/**
 * The three patch types kubectl and client-node send:
 * - application/json-patch+json (RFC 6902: add, remove, replace, move, copy, test; JSON pointers per RFC 6901),
 * - application/merge-patch+json (RFC 7386),
 * - application/strategic-merge-patch+json (Kubernetes: lists of objects merged by their patch merge key,
 *   `$patch: replace|delete|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<f>`, `$setElementOrder/<f>`).
 */

type Json = unknown;
type Obj = Record<string, Json>;

export class PatchError extends Error {
  constructor(
    message: string,
    /** 422 for a failed `test` or an invalid path (the API answers "the server rejected our request"), 400 for malformed. */
    readonly code: 400 | 422 = 422,
  ) {
    super(message);
  }
}

const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(p)}`, 400);
  return p.slice(1).split('/').map(unescapePointer);
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObj(v)) {
    const o: Obj = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = canonical(v[k]);
    return o;
  }
  return v;
}

function getAt(doc: Json, path: string[], op: string, raw: string): Json {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      if (!/^\d+$/.test(seg) || i >= cur.length)
        throw new PatchError(`${op} operation does not apply: doc is missing path: ${raw}`);
      cur = cur[i];
    } else if (isObj(cur)) {
      if (!(seg in cur)) throw new PatchError(`${op} operation does not apply: doc is missing path: ${raw}`);
      cur = cur[seg];
    } else throw new PatchError(`${op} operation does not apply: doc is missing path: ${raw}`);
  }
  return cur;
}

function parentOf(doc: Json, path: string[], op: string, raw: string): { parent: Json; key: string } {
  if (path.length === 0)
    throw new PatchError(`${op} operation on the document root is not supported: ${raw}`);
  return { parent: getAt(doc, path.slice(0, -1), op, raw), key: path[path.length - 1]! };
}

function addAt(doc: Json, raw: string, value: Json, op = 'add'): void {
  const { parent, key } = parentOf(doc, parsePointer(raw), op, raw);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(key === '-' || /^\d+$/.test(key)) || i > parent.length)
      throw new PatchError(`${op} operation does not apply: index out of range: ${raw}`);
    parent.splice(i, 0, value);
  } else if (isObj(parent)) parent[key] = value;
  else throw new PatchError(`${op} operation does not apply: doc is missing path: ${raw}`);
}

function removeAt(doc: Json, raw: string, op = 'remove'): Json {
  const { parent, key } = parentOf(doc, parsePointer(raw), op, raw);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^\d+$/.test(key) || i >= parent.length)
      throw new PatchError(`${op} operation does not apply: doc is missing path: ${raw}`);
    return parent.splice(i, 1)[0];
  }
  if (isObj(parent) && key in parent) {
    const v = parent[key];
    delete parent[key];
    return v;
  }
  throw new PatchError(`${op} operation does not apply: doc is missing path: ${raw}`);
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations', 400);
  const doc = { root: clone(target) } as Obj;
  const p = (s: unknown) => `/root${String(s ?? '')}`;
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw new PatchError(`invalid json patch operation ${JSON.stringify(raw)}`, 400);
    switch (raw.op) {
      case 'add':
        addAt(doc, p(raw.path), clone(raw.value));
        break;
      case 'remove':
        removeAt(doc, p(raw.path));
        break;
      case 'replace':
        if (raw.path === '') {
          doc.root = clone(raw.value);
          break;
        }
        getAt(doc, parsePointer(p(raw.path)), 'replace', raw.path);
        removeAt(doc, p(raw.path), 'replace');
        addAt(doc, p(raw.path), clone(raw.value), 'replace');
        break;
      case 'move': {
        const v = removeAt(doc, p(raw.from), 'move');
        addAt(doc, p(raw.path), v, 'move');
        break;
      }
      case 'copy':
        addAt(
          doc,
          p(raw.path),
          clone(getAt(doc, parsePointer(p(raw.from)), 'copy', String(raw.from))),
          'copy',
        );
        break;
      case 'test': {
        const v = getAt(doc, parsePointer(p(raw.path)), 'test', raw.path);
        if (!deepEqual(v, raw.value)) throw new PatchError(`testing value ${raw.path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${raw.op}`, 400);
    }
  }
  return doc.root;
}

/** Patch merge keys of the core/apps types (from the API reference's `patchMergeKey`). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  volumes: 'name',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  secrets: 'name',
};
/** Primitive lists with patchStrategy merge (set semantics). */
const MERGE_PRIMITIVE = new Set(['finalizers']);

export function strategicMergePatch(target: Json, patch: Json): Json {
  return smpValue(target, patch, undefined);
}

function smpValue(target: Json, patch: Json, field: string | undefined): Json {
  if (isObj(patch)) return smpObject(isObj(target) ? target : undefined, patch);
  if (Array.isArray(patch) && field !== undefined)
    return smpList(Array.isArray(target) ? target : [], patch, field);
  return clone(patch);
}

function smpObject(target: Obj | undefined, patch: Obj): Json {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (directive === 'delete') return undefined;
  const out: Obj = target ? { ...target } : {};
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      const cur = out[f];
      if (Array.isArray(cur)) out[f] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const merged = smpValue(out[k], v, k);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  // Element order directives only reorder; merged lists keep the patch's order for new items already.
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/') || !Array.isArray(order)) continue;
    const f = k.slice('$setElementOrder/'.length);
    const list = out[f];
    const mk = MERGE_KEYS[f];
    if (!Array.isArray(list)) continue;
    const keyOf = (x: Json) => JSON.stringify(mk && isObj(x) ? x[mk] : x);
    const rank = new Map(order.map((o, i) => [keyOf(o), i]));
    out[f] = [...list].sort((a, b) => (rank.get(keyOf(a)) ?? 1e9) - (rank.get(keyOf(b)) ?? 1e9));
  }
  return out;
}

function smpList(target: Json[], patch: Json[], field: string): Json {
  const mk = MERGE_KEYS[field];
  if (MERGE_PRIMITIVE.has(field)) {
    const out = [...target];
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v));
    return out;
  }
  if (!mk) {
    // atomic list unless a `$patch: replace` marker says so explicitly
    return clone(patch.filter((x) => !(isObj(x) && x.$patch === 'replace')));
  }
  if (patch.some((x) => isObj(x) && x.$patch === 'replace')) {
    return clone(patch.filter((x) => !(isObj(x) && x.$patch === 'replace')));
  }
  const out = target.map((x) => x);
  for (const item of patch) {
    if (!isObj(item)) continue;
    const idx = out.findIndex((x) => isObj(x) && deepEqual(x[mk], item[mk]));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = smpObject(out[idx] as Obj, item);
    else out.push(smpObject(undefined, item));
  }
  return out;
}
