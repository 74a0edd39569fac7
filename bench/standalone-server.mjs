// The baseline for `npm run bench`: Apollo Server 5's own standalone server (startStandaloneServer:
// node:http + cors + body-parser + executeHTTPGraphQLRequest), with a one-field schema and no plugins,
// auth, database or middleware of ours. Run as a child process by bench/run.mjs on PORT.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const apollo = new ApolloServer({
  typeDefs: 'type Query { hello: String }',
  resolvers: { Query: { hello: () => 'world' } },
});
const { url } = await startStandaloneServer(apollo, { listen: { port: Number(process.env.PORT || 0), host: '127.0.0.1' } });
process.stdout.write(`standalone Apollo listening on ${url}\n`);

const shutdown = () =>
  apollo.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
