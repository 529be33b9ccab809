// A local HTTP endpoint standing in for a customer's alert webhook; it can fail its first calls on purpose.
import { createServer, type Server } from 'node:http';

export class WebhookReceiver {
  readonly received: unknown[] = [];
  private failuresLeft: number;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    failFirst: number,
  ) {
    this.failuresLeft = failFirst;
  }

  static async start(options: { failFirst?: number } = {}): Promise<WebhookReceiver> {
    const box: { receiver?: WebhookReceiver } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const receiver = box.receiver!;
        if (receiver.failuresLeft > 0) {
          receiver.failuresLeft--;
          res.writeHead(503).end();
          return;
        }
        receiver.received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    box.receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}/alerts`, options.failFirst ?? 0);
    return box.receiver;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
