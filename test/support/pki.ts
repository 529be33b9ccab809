// A throwaway certificate authority made with the openssl CLI: a server certificate and client certificates
// laid out like the cert-manager Secrets the chart mounts (ca.crt, tls.crt, tls.key per party).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Party {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

export class TestPki {
  private constructor(
    readonly dir: string,
    private readonly caKey: string,
    readonly caCert: string,
  ) {}

  /** A new CA in `dir`; `name` keeps two CAs in one test apart. */
  static create(dir: string, name = 'vigil-test-ca'): TestPki {
    mkdirSync(dir, { recursive: true });
    const caKey = join(dir, `${name}.key`);
    const caCert = join(dir, `${name}.crt`);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      caKey,
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      caCert,
    ]);
    return new TestPki(dir, caKey, caCert);
  }

  /** A certificate for `commonName`, valid as server (for `dnsNames`/`ips`) and as client, like the chart's. */
  issue(commonName: string, names: { dnsNames?: string[]; ips?: string[] } = {}): Party {
    const dir = join(this.dir, commonName);
    mkdirSync(dir, { recursive: true });
    const key = join(dir, 'tls.key');
    const csr = join(dir, 'tls.csr');
    const cert = join(dir, 'tls.crt');
    const ca = join(dir, 'ca.crt');
    const extensions = join(dir, 'extensions.cnf');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    openssl(['req', '-new', '-key', key, '-subj', `/CN=${commonName}`, '-out', csr]);
    const altNames = [
      ...(names.dnsNames ?? []).map((n) => `DNS:${n}`),
      ...(names.ips ?? []).map((ip) => `IP:${ip}`),
    ];
    writeFileSync(
      extensions,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        ...(altNames.length > 0 ? [`subjectAltName=${altNames.join(',')}`] : []),
      ].join('\n'),
    );
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.caCert,
      '-CAkey',
      this.caKey,
      '-CAcreateserial',
      '-days',
      '1',
      '-sha256',
      '-extfile',
      extensions,
      '-out',
      cert,
    ]);
    execFileSync('cp', [this.caCert, ca]);
    return { dir, ca, cert, key };
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
