// `shipproof dashboard`'s server: the app on 127.0.0.1 only (never another interface), on a free
// port unless one is given, with a fresh random token in the URL it returns.
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { UsageError } from '../errors.js';
import { createDashboardApp, type DashboardOptions } from './app.js';
import { newToken } from './security.js';

export const DASHBOARD_HOST = '127.0.0.1';

export interface RunningDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startDashboard(o: Omit<DashboardOptions, 'token' | 'port'> & { port?: number; token?: string }): Promise<RunningDashboard> {
  const token = o.token ?? newToken();
  let port = o.port ?? 0;
  const app = createDashboardApp({ ...o, token, port: () => port });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: DASHBOARD_HOST, port });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new UsageError(`Port ${port} on ${DASHBOARD_HOST} is already in use.`, { hint: 'Leave out --port to get a free one, or pick another.' })
          : e,
      ),
    );
    server.listen(port, DASHBOARD_HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${DASHBOARD_HOST}:${port}/login/${token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Event streams stay open: end them so close() returns.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
