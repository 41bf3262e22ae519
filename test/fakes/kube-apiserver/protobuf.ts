/**
 * Just enough of the Kubernetes protobuf encoding (the "k8s\0" envelope around runtime.Unknown) to read the
 * bodies kubectl sends as `application/vnd.kubernetes.protobuf`: the typed clientset behind
 * `kubectl auth can-i` posts SelfSubjectAccessReview / SelfSubjectRulesReview that way, `kubectl autoscale` an
 * autoscaling/v1 HorizontalPodAutoscaler, `kubectl create namespace|secret|configmap` those kinds. Answers stay JSON (the client accepts them). Other kinds get a 415.
 */
import type { KObj } from './resources.js';

type Field = { no: number; wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({ no, wire, value: v });
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ no, wire, value: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const str = (fs: Field[], no: number): string | undefined => {
  const f = fs.find((x) => x.no === no && x.wire === 2);
  return f ? (f.value as Buffer).toString('utf8') : undefined;
};
const sub = (fs: Field[], no: number): Field[] | undefined => {
  const f = fs.find((x) => x.no === no && x.wire === 2);
  return f ? fields(f.value as Buffer) : undefined;
};

function objectMeta(fs: Field[] | undefined): KObj {
  if (!fs) return {};
  const m: KObj = {};
  const name = str(fs, 1);
  const generateName = str(fs, 2);
  const namespace = str(fs, 3);
  if (name) m.name = name;
  if (generateName) m.generateName = generateName;
  if (namespace) m.namespace = namespace;
  const labels = stringMap(fs, 11);
  const annotations = stringMap(fs, 12);
  if (labels) m.labels = labels;
  if (annotations) m.annotations = annotations;
  return m;
}

function stringMap(fs: Field[], no: number): Record<string, string> | undefined {
  const entries = fs.filter((x) => x.no === no && x.wire === 2);
  if (entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const kv = fields(e.value as Buffer);
    out[str(kv, 1) ?? ''] = str(kv, 2) ?? '';
  }
  return out;
}

const int = (fs: Field[], no: number): number | undefined => {
  const f = fs.find((x) => x.no === no && x.wire === 0);
  return f ? Number(BigInt.asIntN(32, f.value as bigint)) : undefined;
};

function set(o: KObj, k: string, v: string | undefined): void {
  if (v !== undefined && v !== '') o[k] = v;
}

/** Decodes an enveloped protobuf body of the access-review kinds into their JSON shape; throws otherwise. */
export function decodeProtobuf(body: Buffer): KObj {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw new Error('missing the k8s protobuf envelope');
  const unknown = fields(body.subarray(4));
  const typeMeta = sub(unknown, 1) ?? [];
  const apiVersion = str(typeMeta, 1) ?? '';
  const kind = str(typeMeta, 2) ?? '';
  const rawField = unknown.find((f) => f.no === 2 && f.wire === 2);
  const raw = rawField ? fields(rawField.value as Buffer) : [];
  const out: KObj = { kind, apiVersion, metadata: objectMeta(sub(raw, 1)) };
  const spec = sub(raw, 2) ?? [];
  // `kubectl auth whoami`: the review carries nothing but its type; the answer is the caller's identity.
  if (kind === 'SelfSubjectReview') return out;
  if (kind === 'SelfSubjectAccessReview') {
    out.spec = {};
    const ra = sub(spec, 1);
    if (ra) {
      const r: KObj = {};
      set(r, 'namespace', str(ra, 1));
      set(r, 'verb', str(ra, 2));
      set(r, 'group', str(ra, 3));
      set(r, 'version', str(ra, 4));
      set(r, 'resource', str(ra, 5));
      set(r, 'subresource', str(ra, 6));
      set(r, 'name', str(ra, 7));
      out.spec.resourceAttributes = r;
    }
    const nra = sub(spec, 2);
    if (nra) {
      const n: KObj = {};
      set(n, 'path', str(nra, 1));
      set(n, 'verb', str(nra, 2));
      out.spec.nonResourceAttributes = n;
    }
    return out;
  }
  if (kind === 'SelfSubjectRulesReview') {
    out.spec = {};
    set(out.spec, 'namespace', str(spec, 1));
    return out;
  }
  if (kind === 'HorizontalPodAutoscaler' && apiVersion === 'autoscaling/v1') {
    // what `kubectl autoscale` sends
    const ref = sub(spec, 1) ?? [];
    out.spec = { scaleTargetRef: {} as KObj };
    set(out.spec.scaleTargetRef, 'kind', str(ref, 1));
    set(out.spec.scaleTargetRef, 'name', str(ref, 2));
    set(out.spec.scaleTargetRef, 'apiVersion', str(ref, 3));
    const min = int(spec, 2);
    const max = int(spec, 3);
    const cpu = int(spec, 4);
    if (min !== undefined) out.spec.minReplicas = min;
    out.spec.maxReplicas = max ?? 0;
    if (cpu !== undefined) out.spec.targetCPUUtilizationPercentage = cpu;
    return out;
  }
  if (kind === 'Namespace' && apiVersion === 'v1') return out; // `kubectl create namespace`
  if (kind === 'Secret' && apiVersion === 'v1') {
    // `kubectl create secret generic|tls`: data is map<string, bytes>
    const data: Record<string, string> = {};
    for (const e of raw.filter((x) => x.no === 2 && x.wire === 2)) {
      const kv = fields(e.value as Buffer);
      const v = kv.find((x) => x.no === 2 && x.wire === 2);
      data[str(kv, 1) ?? ''] = v ? (v.value as Buffer).toString('base64') : '';
    }
    if (Object.keys(data).length) out.data = data;
    set(out, 'type', str(raw, 3));
    const sd = stringMap(raw, 4);
    if (sd) out.stringData = sd;
    if (raw.some((x) => x.no === 5 && x.wire === 0 && x.value === 1n)) out.immutable = true;
    return out;
  }
  if (kind === 'ConfigMap' && apiVersion === 'v1') {
    const data = stringMap(raw, 2);
    if (data) out.data = data;
    return out;
  }
  throw new Error(`protobuf bodies of kind ${JSON.stringify(kind)} are not supported by the fake`);
}
