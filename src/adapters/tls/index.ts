/** Live TLS and PEM certificate reading (node:tls + crypto.X509Certificate). */
export { probeTls, endpointName, handshakeProblems, DEFAULT_TLS_TIMEOUT_MS } from './probe.js';
export type { TlsTarget, TlsProbeOptions } from './probe.js';
export { parsePemBundle, chainViews, certView, errorView, linkProblems, isSelfSigned } from './x509.js';
export { createLimiter, type Limiter } from './limit.js';
