// A TCP listener that counts connections: proves that a command connected to nothing.
import { createServer, type Server } from 'node:net';

export interface Counter {
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}

export async function tcpCounter(): Promise<Counter> {
  let n = 0;
  const server: Server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () => n,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
