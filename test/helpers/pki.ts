/**
 * A private PKI made with the real OpenSSL CLI (BACKENDS.md §3): a root CA, an intermediate, a short-lived
 * intermediate, and leaves with exact notBefore/notAfter (`openssl ca -startdate/-enddate`), relative to a
 * fixed `now` (whole seconds) that tests also hand to the probes as their clock.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DAY_MS = 86_400_000;

/** One self-signed P-256 certificate and its key (openssl req -x509), for a test server that needs TLS. */
export function selfSignedCert(opts: {
  keyFile: string;
  certFile: string;
  cn: string;
  days: number;
  san?: string;
}): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      opts.keyFile,
      '-out',
      opts.certFile,
      '-days',
      String(opts.days),
      '-subj',
      `/CN=${opts.cn}`,
      ...(opts.san ? ['-addext', `subjectAltName=${opts.san}`] : []),
    ],
    { stdio: 'ignore' },
  );
}

const CA_CNF = `[ca]
default_ca = CA_default
[CA_default]
dir = .
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/newcerts
default_md = sha256
default_days = 365
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
commonName = supplied
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_intermediate]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
[v3_self]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = $ENV::SAN
`;

export interface LeafSpec {
  /** File base name, also the first DNS label the SNI test server maps to this leaf. */
  name: string;
  cn: string;
  sans: string[];
  /** Offsets from `now` in days (may be fractional or negative). */
  fromDays: number;
  toDays: number;
  /** 'int' (default), 'short' (the intermediate that expires soon) or 'self' (self-signed). */
  issuer?: 'int' | 'short' | 'self';
}

export interface Leaf {
  name: string;
  key: string;
  cert: string;
  /** Leaf followed by its intermediate (self-signed leaves: the leaf alone). */
  chain: string;
  notBefore: number;
  notAfter: number;
}

export interface Pki {
  dir: string;
  now: number;
  caCert: string;
  caFile: string;
  intCert: string;
  intNotAfter: number;
  shortIntCert: string;
  shortIntNotAfter: number;
  leaves: Record<string, Leaf>;
  cleanup(): void;
}

function osslDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The standard cast of the certificate tests. */
export const STANDARD_LEAVES: LeafSpec[] = [
  { name: 'app', cn: 'app.test', sans: ['DNS:app.test', 'IP:127.0.0.1'], fromDays: -1, toDays: 90 },
  { name: 'warn', cn: 'warn.test', sans: ['DNS:warn.test', 'IP:127.0.0.1'], fromDays: -1, toDays: 20 },
  { name: 'soon', cn: 'soon.test', sans: ['DNS:soon.test', 'IP:127.0.0.1'], fromDays: -1, toDays: 3 },
  {
    name: 'expired',
    cn: 'expired.test',
    sans: ['DNS:expired.test', 'IP:127.0.0.1'],
    fromDays: -60,
    toDays: -30,
  },
  { name: 'wrong', cn: 'other.example', sans: ['DNS:other.example'], fromDays: -1, toDays: 90 },
  {
    name: 'self',
    cn: 'self.test',
    sans: ['DNS:self.test', 'IP:127.0.0.1'],
    fromDays: -1,
    toDays: 30,
    issuer: 'self',
  },
  {
    name: 'shortint',
    cn: 'shortint.test',
    sans: ['DNS:shortint.test', 'IP:127.0.0.1'],
    fromDays: -1,
    toDays: 90,
    issuer: 'short',
  },
];

export function createPki(opts: { now?: number; leaves?: LeafSpec[] } = {}): Pki {
  const now = opts.now ?? Math.floor(Date.now() / 1000) * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'oncall-pki-'));
  const run = (args: string[], env: Record<string, string> = {}) =>
    execFileSync('openssl', args, {
      cwd: dir,
      env: { ...process.env, SAN: 'DNS:unused', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const K = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    mkdirSync(join(dir, 'newcerts'));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), CA_CNF);
    const sign = (
      csr: string,
      out: string,
      ext: string,
      from: number,
      to: number,
      issuer: { cert: string; key: string } | 'self',
      san = 'DNS:unused',
      key?: string,
    ) =>
      run(
        [
          'ca',
          '-batch',
          '-config',
          'ca.cnf',
          ...(issuer === 'self'
            ? ['-selfsign', '-keyfile', key!]
            : ['-cert', issuer.cert, '-keyfile', issuer.key]),
          '-extensions',
          ext,
          '-notext',
          '-startdate',
          osslDate(from),
          '-enddate',
          osslDate(to),
          '-in',
          csr,
          '-out',
          out,
        ],
        { SAN: san },
      );
    // Root (self-signed, 10 years) and two intermediates: a long one and one that expires in 10 days.
    run(['req', '-new', ...K, '-keyout', 'ca.key', '-out', 'ca.csr', '-subj', '/CN=test root']);
    sign('ca.csr', 'ca.crt', 'v3_ca', now - 2 * DAY_MS, now + 3650 * DAY_MS, 'self', undefined, 'ca.key');
    run(['req', '-new', ...K, '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=test intermediate']);
    sign('int.csr', 'int.crt', 'v3_intermediate', now - 2 * DAY_MS, now + 1825 * DAY_MS, {
      cert: 'ca.crt',
      key: 'ca.key',
    });
    run([
      'req',
      '-new',
      ...K,
      '-keyout',
      'short.key',
      '-out',
      'short.csr',
      '-subj',
      '/CN=test short intermediate',
    ]);
    sign('short.csr', 'short.crt', 'v3_intermediate', now - 2 * DAY_MS, now + 10 * DAY_MS, {
      cert: 'ca.crt',
      key: 'ca.key',
    });
    const leaves: Record<string, Leaf> = {};
    for (const spec of opts.leaves ?? STANDARD_LEAVES) {
      const key = `${spec.name}.key`;
      run(['req', '-new', ...K, '-keyout', key, '-out', `${spec.name}.csr`, '-subj', `/CN=${spec.cn}`]);
      const from = now + spec.fromDays * DAY_MS;
      const to = now + spec.toDays * DAY_MS;
      const issuer = spec.issuer ?? 'int';
      const out = `${spec.name}.crt`;
      if (issuer === 'self')
        sign(`${spec.name}.csr`, out, 'v3_self', from, to, 'self', spec.sans.join(','), key);
      else
        sign(
          `${spec.name}.csr`,
          out,
          'v3_leaf',
          from,
          to,
          issuer === 'int' ? { cert: 'int.crt', key: 'int.key' } : { cert: 'short.crt', key: 'short.key' },
          spec.sans.join(','),
        );
      const cert = readFileSync(join(dir, out), 'utf8');
      const chain =
        issuer === 'self'
          ? cert
          : cert + readFileSync(join(dir, issuer === 'int' ? 'int.crt' : 'short.crt'), 'utf8');
      writeFileSync(join(dir, `${spec.name}.chain.pem`), chain);
      leaves[spec.name] = {
        name: spec.name,
        key: readFileSync(join(dir, key), 'utf8'),
        cert,
        chain,
        notBefore: from,
        notAfter: to,
      };
    }
    return {
      dir,
      now,
      caCert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      caFile: join(dir, 'ca.crt'),
      intCert: readFileSync(join(dir, 'int.crt'), 'utf8'),
      intNotAfter: now + 1825 * DAY_MS,
      shortIntCert: readFileSync(join(dir, 'short.crt'), 'utf8'),
      shortIntNotAfter: now + 10 * DAY_MS,
      leaves,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as Error & { stderr?: Buffer };
    throw new Error(`openssl failed: ${e.message}${e.stderr ? `\n${e.stderr.toString()}` : ''}`);
  }
}
