/** The embedded configuration of `oncall demo`: six services modelled on real runbooks. */
import { parseConfigText } from '../config/load.js';
import type { Config } from '../config/schema.js';

export const DEMO_CONTEXT = 'sandbox-prod-eu1';

export const DEMO_CONFIG_YAML = `
readOnly: false
production:
  contexts: ["*-prod-*"]
services:
  - name: checkout-api
    tier: production
    runbook: https://runbooks.example.test/checkout-api
    kubernetes: {context: ${DEMO_CONTEXT}, namespace: payments, deployment: checkout-api}
    health: [{url: "https://checkout.example.test/healthz", name: healthz}]
    slo: {objective: 99.9, window: 30d, metric: http_requests_total, serviceValue: checkout-api}
    certificates: [{host: checkout.example.test, port: 443}]
    secrets:
      - vaultPath: secret/payments/stripe
        keys: [api_key]
        kubernetesSecret: {namespace: payments, name: stripe}
        generate: {length: 40}
  - name: webhooks
    tier: production
    runbook: https://runbooks.example.test/webhooks
    container: {name: webhooks, healthUrl: "https://hooks.example.test/healthz"}
    health: [{url: "https://hooks.example.test/healthz", name: healthz}]
    slo: {objective: 99.9, window: 30d, metric: traefik_service_requests_total, serviceValue: webhooks}
    certificates: [{host: hooks.example.test, port: 443}]
  - name: accounts
    tier: production
    runbook: https://runbooks.example.test/accounts
    kubernetes: {context: ${DEMO_CONTEXT}, namespace: identity, deployment: accounts}
    health:
      - {url: "https://accounts.example.test/health/", name: health}
      - {url: "https://accounts.example.test/ready/", name: ready}
    slo: {objective: 99.5, window: 30d, metric: django_http_responses_total, serviceValue: accounts}
    certificates: [{host: accounts.example.test, port: 443}]
  - name: ledger
    tier: staging
    runbook: https://runbooks.example.test/ledger
    container: {label: "app=ledger", healthUrl: "http://127.0.0.1:8081/healthz"}
    health: [{url: "http://127.0.0.1:8081/healthz", name: healthz}]
    slo: {objective: 99.9, window: 30d, metric: http_requests_total, serviceValue: ledger}
  - name: orders-db
    tier: production
    runbook: https://runbooks.example.test/orders-db
    container: {name: orders-db}
    certificates: [{host: orders-db.example.test, port: 5432}]
  - name: search
    tier: staging
    runbook: https://runbooks.example.test/search
    kubernetes: {context: sandbox-staging-eu1, namespace: search, deployment: search}
    health: [{url: "https://search.example.test/healthz", name: healthz}]
    slo: {objective: 99.9, window: 30d, metric: http_requests_total, serviceValue: search}
    certificates: [{host: search.example.test, port: 443}]
`;

let cached: Config | null = null;
export function demoConfig(): Config {
  cached ??= parseConfigText(DEMO_CONFIG_YAML, '<embedded demo config>');
  return cached;
}
