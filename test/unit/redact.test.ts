import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/domain/redact.js';

describe('redactSecrets', () => {
  it.each([
    [
      'GET https://admin:s3cr3t@127.0.0.1:9090/api failed',
      'GET https://admin:[REDACTED]@127.0.0.1:9090/api failed',
    ],
    ['http://127.0.0.1/x?access_token=abcdef123&q=1', 'http://127.0.0.1/x?access_token=[REDACTED]&q=1'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'Authorization: Bearer [REDACTED]'],
    ['authorization=Basic dXNlcjpwYXNz', 'authorization=Basic [REDACTED]'],
    ['X-Vault-Token: hvs.CAESIJ1234567890abcdefghij', 'X-Vault-Token: [REDACTED]'],
    ['failed (token=abc123secret) at 127.0.0.1', 'failed (token=[REDACTED]) at 127.0.0.1'],
    ['password=hunter2 host=db', 'password=[REDACTED] host=db'],
    ['token hvs.CAESIJ1234567890abcdefghijklmn leaked', 'token [REDACTED vault token] leaked'],
  ])('%s', (input, expected) => expect(redactSecrets(input)).toBe(expected));
  it('leaves ordinary text alone', () => {
    expect(redactSecrets('connect ECONNREFUSED 127.0.0.1:9090')).toBe('connect ECONNREFUSED 127.0.0.1:9090');
  });
});
