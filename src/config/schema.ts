/** The configuration file's schema. Every field is validated; unknown keys are errors (typos must not pass). */
import { z } from 'zod';
import { parseDuration } from '../domain/slo.js';

const duration = z.string().refine(
  (s) => {
    try {
      parseDuration(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a duration such as 5m, 1h or 30d' },
);

const loopbackOrAnyUrl = z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' });

const kubernetesTarget = z.strictObject({
  context: z.string().min(1).optional(),
  namespace: z.string().min(1).default('default'),
  deployment: z.string().min(1),
});

const containerTarget = z
  .strictObject({
    name: z.string().min(1).optional(),
    label: z
      .string()
      .regex(/^[^=]+=.*$/, 'expected key=value')
      .optional(),
    healthUrl: loopbackOrAnyUrl.optional(),
  })
  .refine((c) => Boolean(c.name) !== Boolean(c.label), { message: 'set exactly one of name or label' });

const healthEndpoint = z.strictObject({
  url: loopbackOrAnyUrl,
  name: z.string().min(1).optional(),
  timeout: duration.default('3s'),
  followRedirects: z.boolean().default(false),
  caFile: z.string().optional(),
});

const burnRule = z.strictObject({
  long: z.enum(['5m', '30m', '1h', '2h', '6h', '1d', '3d']),
  short: z.enum(['5m', '30m', '1h', '2h', '6h', '1d', '3d']),
  threshold: z.number().positive(),
  severity: z.enum(['page', 'ticket']),
});

const slo = z
  .strictObject({
    objective: z.number().gt(0).lt(100),
    window: duration.default('30d'),
    /** Queries with `$window` substituted (e.g. "sum by (service) (rate(errors[$window]))"). */
    errorQuery: z.string().optional(),
    totalQuery: z.string().optional(),
    /** Shorthand: a request counter family, the label naming the service, and the codes that count as errors. */
    metric: z.string().optional(),
    serviceLabel: z.string().default('service'),
    serviceValue: z.string().optional(),
    codeLabel: z.string().default('code'),
    errorCodes: z.string().default('5..'),
    latency: z
      .strictObject({
        metric: z.string(),
        thresholdSeconds: z.number().positive(),
        objective: z.number().gt(0).lt(100),
      })
      .optional(),
    burnRules: z.array(burnRule).optional(),
  })
  .refine((s) => Boolean(s.metric) || (Boolean(s.errorQuery) && Boolean(s.totalQuery)), {
    message: 'set metric (shorthand) or both errorQuery and totalQuery',
  });

const certificate = z.union([
  z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(443),
    sni: z.string().optional(),
    caFile: z.string().optional(),
  }),
  z.strictObject({ secret: z.strictObject({ namespace: z.string().default('default'), name: z.string() }) }),
  z.strictObject({ metric: z.string().min(1), name: z.string().min(1) }),
]);

const secret = z
  .strictObject({
    /** KV v2 path as `vault kv` takes it: <mount>/<path>, e.g. secret/payments/stripe. */
    vaultPath: z.string().regex(/^[^/\s]+\/[^\s]+$/, 'expected <mount>/<path>, e.g. secret/payments/stripe'),
    keys: z.array(z.string().min(1)).min(1),
    kubernetesSecret: z.strictObject({ namespace: z.string().default('default'), name: z.string().min(1) }),
    generate: z
      .strictObject({
        length: z.number().int().min(16).max(4096).default(32),
        alphabet: z.string().min(2).optional(),
      })
      .optional(),
    /** Keys whose new value is issued elsewhere (e.g. a JWKS): key -> file read at rotation time. */
    fromFiles: z.record(z.string(), z.string().min(1)).optional(),
  })
  .refine((s) => Object.keys(s.fromFiles ?? {}).every((k) => s.keys.includes(k)), {
    message: 'every fromFiles key must be listed in keys',
  });

export const serviceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a lowercase DNS-style name'),
  tier: z.enum(['production', 'staging', 'dev']).default('dev'),
  runbook: z.url().optional(),
  kubernetes: kubernetesTarget.optional(),
  container: containerTarget.optional(),
  health: z.array(healthEndpoint).default([]),
  slo: slo.optional(),
  certificates: z.array(certificate).default([]),
  certThresholds: z
    .strictObject({ warnDays: z.number().positive(), criticalDays: z.number().nonnegative() })
    .optional(),
  secrets: z.array(secret).default([]),
});

export const configSchema = z.strictObject({
  readOnly: z.boolean().default(false),
  prometheus: z
    .strictObject({
      url: loopbackOrAnyUrl,
      timeout: duration.default('10s'),
      bearerTokenFile: z.string().optional(),
      basicAuth: z.strictObject({ username: z.string(), passwordFile: z.string() }).optional(),
      caFile: z.string().optional(),
      refresh: duration.default('30s'),
    })
    .optional(),
  kubernetes: z
    .strictObject({
      kubeconfig: z.string().optional(),
      context: z.string().optional(),
      namespace: z.string().optional(),
    })
    .optional(),
  docker: z.strictObject({ host: z.string().optional() }).optional(),
  vault: z.strictObject({ addr: loopbackOrAnyUrl.optional(), namespace: z.string().optional() }).optional(),
  audit: z
    .strictObject({
      path: z.string().min(1).optional(),
      /** Rotate the active file beyond this many MiB (audit.jsonl → audit.1.jsonl; the chain continues). */
      maxSizeMiB: z.number().positive().max(4096).default(16),
      /** How long to wait for another oncall's write lock before refusing the action. */
      lockTimeout: duration.default('5s'),
      /** Optional copies elsewhere; the local file stays the source of truth. */
      forward: z
        .strictObject({
          syslog: z
            .strictObject({
              /** The local syslog daemon: udp://127.0.0.1:514, tcp://[::1]:601 or unix:///run/syslog.sock (stream). */
              address: z
                .string()
                .regex(
                  /^(?:(?:udp|tcp):\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d{1,5}|unix:\/\/\/\S+)$/,
                  'expected udp://127.0.0.1:PORT, tcp://127.0.0.1:PORT, [::1] or unix:///path (the local syslog daemon relays)',
                ),
              facility: z
                .enum([
                  'auth',
                  'authpriv',
                  'daemon',
                  'user',
                  'local0',
                  'local1',
                  'local2',
                  'local3',
                  'local4',
                  'local5',
                  'local6',
                  'local7',
                ])
                .default('authpriv'),
              appName: z.string().min(1).max(48).default('oncall'),
              framing: z.enum(['octet-counting', 'newline']).default('octet-counting'),
            })
            .optional(),
          webhook: z.strictObject({ url: loopbackOrAnyUrl, timeout: duration.default('5s') }).optional(),
        })
        .optional(),
    })
    .optional(),
  production: z.strictObject({ contexts: z.array(z.string()).default([]) }).optional(),
  services: z.array(serviceSchema).min(1, 'expected at least one service'),
});

export type Config = z.infer<typeof configSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type SloConfig = z.infer<typeof slo>;
export type CertificateConfig = z.infer<typeof certificate>;
