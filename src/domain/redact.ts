/**
 * Removes credentials from text that may reach the screen, the audit log or an error: passwords in URL
 * userinfo, token-like query parameters, Authorization / X-Vault-Token header values, bearer tokens.
 */
type Rule = (text: string) => string;

const RULES: Rule[] = [
  // Bounded scheme length and a word boundary keep this linear on long unbroken tokens.
  (t) =>
    t.replace(/\b([a-z][a-z0-9+.-]{0,15}:\/\/)([^/\s:@]{1,256}):([^/\s@]{1,1024})@/gi, '$1$2:[REDACTED]@'),
  (t) =>
    t.replace(
      /((?:^|[?&\s(;,])(?:access_token|token|api_key|apikey|key|password|passwd|secret|signature|sig)=)[^&\s#"'()]+/gi,
      '$1[REDACTED]',
    ),
  (t) =>
    t.replace(
      /(authorization\s*[:=]\s*)(?:(bearer|basic|token)\s+)?[^\s,;"']+/gi,
      (_m, prefix: string, scheme?: string) => `${prefix}${scheme ? `${scheme} ` : ''}[REDACTED]`,
    ),
  (t) => t.replace(/\b(bearer|basic)\s+(?!\[REDACTED\])[a-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'),
  (t) => t.replace(/((?:x-vault-token|x-api-key|private-token)\s*[:=]\s*)[^\s,;"']+/gi, '$1[REDACTED]'),
  (t) => t.replace(/\b(?:hvs|hvb|s)\.[a-z0-9]{20,}\b/gi, '[REDACTED vault token]'),
];

export function redactSecrets(text: string): string {
  return RULES.reduce((acc, rule) => rule(acc), text);
}
