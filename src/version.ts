/** Replaced at build time by esbuild (define); the fallback is for tests and unbundled runs. */
declare const __ONCALL_VERSION__: string | undefined;
export const VERSION: string = typeof __ONCALL_VERSION__ === 'string' ? __ONCALL_VERSION__ : '0.1.0-dev';
