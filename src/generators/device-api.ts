/**
 * The seed project's device API over node:http, backed by the generator's model:
 * GET /source1../sourceS: next reading of a patient of that source;
 * GET /patient_vitals: next reading of the global stream (any source); anything else 404.
 * event_time and timestamp are the time of the request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Dataset, stampEventTime, type DatasetParams } from './dataset.js';

export interface DeviceApiOptions extends DatasetParams {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Clock for event_time; Date.now by default. */
  now?: () => number;
}

export interface DeviceApi {
  url: string;
  port: number;
  dataset: Dataset;
  close(): Promise<void>;
}

export async function startDeviceApi(opts: DeviceApiOptions): Promise<DeviceApi> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const dataset = new Dataset(opts);

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') return send(res, 405, { error: `method ${req.method} not allowed` });
    if (path === '/patient_vitals') return send(res, 200, stampEventTime(dataset.next(), now()));
    const m = /^\/source([1-9][0-9]*)$/.exec(path);
    const s = m ? Number(m[1]) - 1 : -1;
    if (s >= 0 && s < dataset.sources) return send(res, 200, stampEventTime(dataset.nextForSource(s), now()));
    return send(res, 404, { error: 'not found', path });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    dataset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
