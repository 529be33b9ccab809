// Ports for the servers a test starts. A port the OS hands out for `listen(0)` comes from the ephemeral range, the
// same range every outgoing connection takes its local port from: between freeing such a port and a service binding
// it, a Postgres or NATS client anywhere on the machine may take it (EADDRINUSE). So test servers take ports below
// that range instead, each jest worker from a slice of its own, and each port is checked free by binding it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FIRST_PORT = 10_000;
const SLICE = 1_000;

function ephemeralFloor(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const floor = Number(low);
    return Number.isInteger(floor) && floor > FIRST_PORT + SLICE ? floor : 32_768;
  } catch {
    return 32_768; // not Linux: the IANA dynamic range starts higher still (49152)
  }
}

const slices = Math.floor((ephemeralFloor() - FIRST_PORT) / SLICE);
const worker = Number(process.env.JEST_WORKER_ID ?? 0);
const sliceStart = FIRST_PORT + (worker % slices) * SLICE;
// A random start inside the slice: test files that follow each other in one worker do not reuse the last file's ports.
let next = Math.floor(Math.random() * SLICE);

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A free port on `host` outside the ephemeral range, not handed to anyone else in this process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < SLICE; attempt++) {
    const port = sliceStart + (next++ % SLICE);
    if (await canBind(port, host)) return port;
  }
  throw new Error(`no free port in ${sliceStart}-${sliceStart + SLICE - 1}`);
}
