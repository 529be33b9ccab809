import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './signature.js';

const secret = 'whsec-test-0123456789abcdef0123456789';
const body = JSON.stringify({ alerts: [{ name: 'HighRiskTransaction' }] });

describe('webhook signatures', () => {
  it('is HMAC-SHA-256 over "<t>.<body>" in hex', () => {
    const expected = createHmac('sha256', secret).update(`1767225600.${body}`).digest('hex');
    expect(signWebhook(secret, body, 1767225600)).toBe(`t=1767225600,v1=${expected}`);
  });

  it('verifies its own signature within the tolerance, and nothing else', () => {
    const header = signWebhook(secret, body, 1767225600);
    expect(verifyWebhook(secret, header, body, 1767225700)).toBe(true);
    expect(verifyWebhook(secret, header, `${body} `, 1767225700)).toBe(false);
    expect(verifyWebhook('another-secret-0123456789abcdef012345', header, body, 1767225700)).toBe(false);
    expect(verifyWebhook(secret, header, body, 1767225600 + 301)).toBe(false);
    expect(verifyWebhook(secret, 'v1=abc', body, 1767225600)).toBe(false);
  });
});
