import { SecretReferenceError, resolveSecretReferences } from './secret-references.js';

const secrets: Record<string, Record<string, string>> = { hooks: { ops: 'https://hooks.example.com/T0KEN' } };
const read = (name: string) => Promise.resolve(secrets[name]);
const fields = [['channels', '*', 'url']];

describe('resolveSecretReferences', () => {
  it('writes the value of each reference into a copy of the document', async () => {
    const document = {
      channels: {
        ops: { type: 'webhook', urlFrom: { secretKeyRef: { name: 'hooks', key: 'ops' } } },
        plain: { type: 'webhook', url: 'https://example.com/' },
      },
    };
    expect(await resolveSecretReferences(document, fields, read)).toEqual({
      channels: {
        ops: { type: 'webhook', url: 'https://hooks.example.com/T0KEN' },
        plain: { type: 'webhook', url: 'https://example.com/' },
      },
    });
    expect(document.channels.ops).toHaveProperty('urlFrom');
  });

  it('names the reference whose Secret or key is missing', async () => {
    const missing = (name: string, key: string) => ({
      channels: { ops: { type: 'webhook', urlFrom: { secretKeyRef: { name, key } } } },
    });
    await expect(resolveSecretReferences(missing('nope', 'ops'), fields, read)).rejects.toThrow(
      new SecretReferenceError('channels.ops.urlFrom: Secret nope does not exist'),
    );
    await expect(resolveSecretReferences(missing('hooks', 'nope'), fields, read)).rejects.toThrow(
      'channels.ops.urlFrom: Secret hooks has no key nope',
    );
  });
});
