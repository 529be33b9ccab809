// The raw baseline of the gateway benchmark: bare fastify answering a small JSON hello-world, in its own process
// (as the gateway is), on the port given in PORT.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
