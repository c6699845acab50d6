// The floor of the comparison: the cheapest possible Node proxy hop (node:http in, node:http
// out over a keep-alive agent, bodies piped through untouched, no parsing, no policy), run as
// its own process (`UPSTREAM=http://127.0.0.1:<port> node dist/test/bench/gateway/bare-proxy.js`).
// Whatever a real gateway adds beyond this row is the cost of what it does, not of being a hop.
// On start it prints `{"port":<n>}` on stdout.
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.env.UPSTREAM ?? 'http://127.0.0.1:1');
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  const headers = { ...req.headers, host: upstream.host };
  delete headers.connection;
  const out = request(
    {
      agent,
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
    },
    (answer) => {
      const back = { ...answer.headers };
      delete back.connection;
      delete back['keep-alive'];
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  res.on('error', () => undefined);
  req.pipe(out);
});
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
