import { createServer, request as httpRequest, type Server } from 'node:http';
import { freePort } from '../../support/ports.js';

export interface CountedRequest {
  method: string;
  url: string;
  range: string | undefined;
}

export interface CountingProxy {
  port: number;
  requests: CountedRequest[];
  /** The Azurite connection string, pointed at the proxy. */
  connectionString: string;
  close(): Promise<void>;
}

/**
 * A plain HTTP proxy in front of Azurite that records every request (method, path, Range):
 * the tests count what the ingester really asked the storage service for, independent of the SDK.
 */
export async function startCountingProxy(target: {
  port: number;
  connectionString: string;
}): Promise<CountingProxy> {
  const requests: CountedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const range =
      (req.headers['x-ms-range'] as string | undefined) ?? (req.headers.range as string | undefined);
    requests.push({ method: req.method ?? '', url: req.url ?? '', range });
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    requests,
    connectionString: target.connectionString.replace(`127.0.0.1:${target.port}`, `127.0.0.1:${port}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
