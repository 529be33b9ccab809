import { ConfigError, natsTlsFiles } from './env.js';

describe('natsTlsFiles', () => {
  it('is undefined without any NATS_TLS_* file: a plain connection', () => {
    expect(
      natsTlsFiles({ NATS_TLS_CA_FILE: '', NATS_TLS_CERT_FILE: '', NATS_TLS_KEY_FILE: '' }),
    ).toBeUndefined();
  });

  it('passes a CA alone (server verification only) and a full client identity', () => {
    expect(natsTlsFiles({ NATS_TLS_CA_FILE: '/tls/ca.crt' })).toEqual({ caFile: '/tls/ca.crt' });
    expect(
      natsTlsFiles({
        NATS_TLS_CA_FILE: '/tls/ca.crt',
        NATS_TLS_CERT_FILE: '/tls/tls.crt',
        NATS_TLS_KEY_FILE: '/tls/tls.key',
      }),
    ).toEqual({ caFile: '/tls/ca.crt', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' });
  });

  it('refuses a certificate without its key', () => {
    expect(() => natsTlsFiles({ NATS_TLS_CERT_FILE: '/tls/tls.crt' })).toThrow(ConfigError);
  });
});
