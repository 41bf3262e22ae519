/**
 * X.509 facts for the certificate model: PEM bundle parsing, one CertView per certificate, and the checks
 * that do not need a network (issued-by links, self-signed, expiry against an injected clock, hostname).
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertView } from '../../domain/model.js';
import { certLevel, daysLeft, type CertThresholds } from '../../domain/certs.js';
import { sanitizeText } from '../../domain/sanitize.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every CERTIFICATE block of a PEM bundle, in order. Other blocks (keys!) are skipped, never parsed or echoed. */
export function parsePemBundle(pem: string, what = 'PEM bundle'): X509Certificate[] {
  const out: X509Certificate[] = [];
  let n = 0;
  for (const m of pem.matchAll(PEM_BLOCK)) {
    if (m[1] !== 'CERTIFICATE') continue;
    n++;
    try {
      out.push(new X509Certificate(m[0]));
    } catch (err) {
      throw new Error(
        `${what}: certificate #${n} is not a valid X.509 certificate (${(err as Error).message})`,
      );
    }
  }
  if (out.length === 0) throw new Error(`${what}: no "BEGIN CERTIFICATE" block found`);
  return out;
}

export function oneLineName(dn: string): string {
  return sanitizeText(dn.split('\n').filter(Boolean).join(', '), 256);
}

export function sansOf(x: X509Certificate): string[] {
  if (!x.subjectAltName) return [];
  return x.subjectAltName
    .split(/, (?=[A-Za-z ]+:)/)
    .map((s) => sanitizeText(s.replace(/^IP Address:/, 'IP:'), 256))
    .filter(Boolean);
}

function dateOf(text: string, field: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`certificate ${field} "${sanitizeText(text, 64)}" is not a date`);
  return t;
}

export function notAfterOf(x: X509Certificate): number {
  return dateOf(x.validTo, 'notAfter');
}

export function isSelfSigned(x: X509Certificate): boolean {
  return x.checkIssued(x) && x.verify(x.publicKey);
}

/** Whether `child` names `parent` as its issuer and carries its signature. */
export function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** Hostname (DNS names, wildcards) or IP address check against the SANs (CN only when there are no SANs). */
export function matchesHost(x: X509Certificate, name: string): boolean {
  const ip = name.replace(/^\[|\]$/g, '');
  if (isIP(ip)) return x.checkIP(ip) !== undefined;
  return x.checkHost(name) !== undefined;
}

export interface ViewContext {
  name: string;
  source: CertView['source'];
  endpoint: string;
  now: number;
  thresholds: CertThresholds;
}

export function certView(
  x: X509Certificate,
  position: number,
  ctx: ViewContext,
  problems: string[] = [],
): CertView {
  const notBefore = dateOf(x.validFrom, 'notBefore');
  const notAfter = dateOf(x.validTo, 'notAfter');
  const own = [...problems];
  if (notAfter <= ctx.now) own.push('expired');
  if (notBefore > ctx.now) own.push('not yet valid');
  return {
    name: ctx.name,
    source: ctx.source,
    subject: oneLineName(x.subject),
    issuer: oneLineName(x.issuer),
    sans: sansOf(x),
    serial: x.serialNumber,
    notBefore,
    notAfter,
    daysLeft: daysLeft(notAfter, ctx.now),
    level: certLevel(notAfter, ctx.now, ctx.thresholds),
    problems: own,
    endpoint: ctx.endpoint,
    chainPosition: position,
  };
}

/** A certificate entry that could not be read: level 'unknown', the reason in `error` (and in problems). */
export function errorView(ctx: Omit<ViewContext, 'thresholds'>, message: string): CertView {
  const error = sanitizeText(message, 300);
  return {
    name: ctx.name,
    source: ctx.source,
    subject: '',
    issuer: '',
    sans: [],
    serial: '',
    notBefore: ctx.now,
    notAfter: ctx.now,
    daysLeft: 0,
    level: 'unknown',
    problems: [error],
    endpoint: ctx.endpoint,
    error,
  };
}

/** Problems of an ordered chain (leaf first) that are about the links, not single certificates. */
export function linkProblems(chain: X509Certificate[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i]!;
    const parent = chain[i + 1]!;
    if (!issuedBy(child, parent))
      out.push(
        `chain order: "${oneLineName(child.subject)}" is not signed by the next certificate "${oneLineName(parent.subject)}"`,
      );
  }
  return out;
}

/**
 * Views for a chain (leaf first): each certificate with its own expiry; chain-wide problems on the leaf.
 * Names: the leaf carries the entry's name, issuers "<name> [i] <subject CN>".
 */
export function chainViews(chain: X509Certificate[], ctx: ViewContext, leafProblems: string[]): CertView[] {
  return chain.map((x, i) => {
    const cn = /CN=([^\n]+)/.exec(x.subject)?.[1];
    const name = i === 0 ? ctx.name : `${ctx.name} [${i}] ${sanitizeText(cn ?? oneLineName(x.subject), 80)}`;
    return certView(x, i, { ...ctx, name }, i === 0 ? leafProblems : []);
  });
}
