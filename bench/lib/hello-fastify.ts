// The raw baseline of the gateway benchmarks: bare fastify answering a small JSON hello-world (GET) and a small
// decision to a posted transaction (POST), in its own process (as the gateway is), on the port given in PORT.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', () => ({ hello: 'world' }));
// the decisions baseline: a JSON body in, a small decision out
app.post('/', () => ({ decision: 'approve', score: 0.01 }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
