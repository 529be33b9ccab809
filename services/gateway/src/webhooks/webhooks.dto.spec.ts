import { ProblemException } from '../http/problem.js';
import { signatureOf, verifySignature } from './webhook-signature.js';
import { parseWebhookRegistration } from './webhooks.dto.js';

const detailOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProblemException) return error.message;
    throw error;
  }
  throw new Error('expected a ProblemException');
};

describe('parseWebhookRegistration', () => {
  const events = ['transaction.scored'];

  it('takes an https URL, and http to localhost in development only', () => {
    expect(parseWebhookRegistration({ url: 'https://p.example/hooks', events }, false)).toEqual({
      url: 'https://p.example/hooks',
      events,
    });
    expect(parseWebhookRegistration({ url: 'http://127.0.0.1:9000/h', events }, true).url).toBe(
      'http://127.0.0.1:9000/h',
    );
    expect(
      detailOf(() => parseWebhookRegistration({ url: 'http://127.0.0.1:9000/h', events }, false)),
    ).toMatch(/https/);
    expect(detailOf(() => parseWebhookRegistration({ url: 'http://p.example/h', events }, true))).toMatch(
      /https/,
    );
    expect(
      detailOf(() => parseWebhookRegistration({ url: 'https://u:p@p.example/h', events }, false)),
    ).toMatch(/credentials/);
  });

  it('names the field that is wrong', () => {
    expect(detailOf(() => parseWebhookRegistration({ url: 'https://p.example', events: [] }, false))).toMatch(
      /^events /,
    );
    expect(
      detailOf(() => parseWebhookRegistration({ url: 'https://p.example', events: ['alert.raised'] }, false)),
    ).toMatch(/^events\[0\] must be one of transaction.scored/);
    expect(
      detailOf(() => parseWebhookRegistration({ url: 'https://p.example', events, secret: 'x' }, false)),
    ).toMatch(/unknown field secret/);
  });
});

describe('webhook signatures', () => {
  it('verifies what it signed, and nothing else', () => {
    const now = Math.floor(Date.now() / 1000);
    const header = signatureOf('whsec_1', '{"a":1}', now);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_1', '{"a":1}', header)).toBe(true);
    expect(verifySignature('whsec_1', '{"a":2}', header)).toBe(false);
    expect(verifySignature('whsec_2', '{"a":1}', header)).toBe(false);
    expect(verifySignature('whsec_1', '{"a":1}', signatureOf('whsec_1', '{"a":1}', now - 3600))).toBe(false);
  });
});
