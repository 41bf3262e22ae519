/**
 * What goes into an audit record is operator-visible text; secret values must never be among it. Procedures
 * describe secrets by name and version only; this is the last line of defence for text that came from
 * elsewhere (an error message quoting a URL with credentials, a header, a key block).
 */
import { sanitizeText } from '../domain/sanitize.js';
import { redactSecrets as redactCommon } from '../domain/redact.js';

const RULES: [RegExp, string][] = [
  [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    '[redacted private key]',
  ],
  [
    /\b(authorization|proxy-authorization)(\s*[:=]\s*)(bearer|basic|token)?\s*[^\s,;"']+/gi,
    '$1$2$3 [redacted]',
  ],
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  // key=value (query strings, env style); "name: value" only for passwords, since previews name secrets
  // ("secret: db-credentials v3 → v4") and those names must stay readable.
  [
    /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|client[_-]?secret|private[_-]?key|auth[_-]?token|access[_-]?token)(\s*=\s*)("?)[^\s"',;&]+/gi,
    '$1$2$3[redacted]',
  ],
  [/\b(password|passwd)(\s*:\s*)("?)[^\s"',;&]+/gi, '$1$2$3[redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):[^@\s/]+@/gi, '$1:[redacted]@'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted jwt]'],
];

/** The project-wide rules (src/domain/redact.ts), then the audit's extra ones (key blocks, JWTs, password:). */
export function redactSecrets(text: string): string {
  let out = redactCommon(text);
  for (const [re, replacement] of RULES) out = out.replace(re, replacement);
  return out;
}

/** Per string: redact, then strip control characters (records are printed to terminals), bound the length. */
export const MAX_FIELD_LENGTH = 4096;

export function cleanField(value: string): string {
  // Bound the input first (redaction rules are not all linear on long unbroken tokens), then redact what
  // is kept; a secret cut at the bound is still a `key=value` or a token prefix and still redacted.
  return sanitizeText(redactSecrets(value.slice(0, MAX_FIELD_LENGTH * 2)), MAX_FIELD_LENGTH);
}

export function cleanDeep<T>(value: T): T {
  if (typeof value === 'string') return cleanField(value) as T;
  if (Array.isArray(value)) return value.map((v) => cleanDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = cleanDeep(v);
    return out as T;
  }
  return value;
}
