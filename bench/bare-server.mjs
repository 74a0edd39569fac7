// The second baseline row of `npm run bench`: a bare Apollo Server 5 on the HTTP stack Tokengate had
// before #14 (node:http + express 5 + express.json + @as-integrations/express5),
// with a one-field schema and no plugins, auth, database or middleware of ours.
// Run as a child process by bench/run.mjs; reports its port over IPC.
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';

const app = express();
app.disable('x-powered-by');
const httpServer = http.createServer(app);
const apollo = new ApolloServer({
  typeDefs: 'type Query { hello: String }',
  resolvers: { Query: { hello: () => 'world' } },
  plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
});
await apollo.start();
app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
app.use('/graphql', express.json({ limit: '100kb' }), expressMiddleware(apollo, { context: async () => ({}) }));

const port = Number(process.env.PORT || 0);
httpServer.listen(port, '127.0.0.1', () => {
  const { port: actual } = httpServer.address();
  if (process.send) process.send({ port: actual });
  else process.stdout.write(`bare Apollo listening on http://127.0.0.1:${actual}/graphql\n`);
});

const shutdown = () =>
  apollo.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
