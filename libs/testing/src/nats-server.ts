// A private, real nats-server with JetStream for one test file: isolated streams, killable and restartable.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { freePort } from './ports.js';

export class TestNatsServer {
  private process?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
    private readonly binary: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(binary = process.env.NATS_SERVER_BIN ?? 'nats-server'): Promise<TestNatsServer> {
    const server = new TestNatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'vigil-nats-')), binary);
    await server.restart();
    return server;
  }

  /** (Re)starts the server on the same port and store, so streams survive like a real restart. */
  async restart(): Promise<void> {
    this.process = spawn(
      this.binary,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      {
        stdio: 'ignore',
      },
    );
    this.process.once('error', (error) => {
      throw new Error(`cannot start ${this.binary}: ${error.message}`);
    });
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const nc = await connect({ servers: this.url, reconnect: false });
        await nc.close();
        return;
      } catch {
        await sleep(50);
      }
    }
    throw new Error(`nats-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
