import { destinationName, messagingAttributes } from './messaging-telemetry.js';

describe('messaging destination names', () => {
  it('keeps a subject as it is', () => {
    expect(destinationName('txn.accepted.NG')).toBe('txn.accepted.NG');
  });

  it('collapses reply inboxes, which are unique per request', () => {
    expect(destinationName('_INBOX.9fJ2kQ1x0aB3.7')).toBe('_INBOX');
  });

  it('collapses JetStream ack subjects to their stream and consumer', () => {
    expect(destinationName('$JS.ACK.TRANSACTIONS.validator.1.2042.2042.1733500000000000000.0')).toBe(
      '$JS.ACK.TRANSACTIONS.validator',
    );
    expect(destinationName('$JS.ACK.short')).toBe('$JS.ACK');
  });

  it('names the system, the collapsed destination and the operation', () => {
    expect(messagingAttributes('_INBOX.abc', { type: 'send', name: 'request' })).toEqual({
      'messaging.system': 'nats',
      'messaging.destination.name': '_INBOX',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'request',
    });
  });
});
