/** Raw TCP clients on 127.0.0.1 for tests of connection limits: what was received, and whether the server closed. */
import { connect, type Socket } from 'node:net';

export interface RawClient {
  socket: Socket;
  closed: boolean;
  received: string;
}

export interface RawClients {
  /** Connects; `first` is written once connected. */
  open(port: number, first?: string): Promise<RawClient>;
  /** Destroys every socket opened so far (call from afterEach). */
  destroyAll(): void;
}

export function rawClients(): RawClients {
  const sockets: Socket[] = [];
  return {
    open: (port, first) =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        sockets.push(socket);
        const client: RawClient = { socket, closed: false, received: '' };
        socket.on('data', (d: Buffer) => (client.received += d.toString('utf8')));
        socket.on('close', () => (client.closed = true));
        socket.on('error', () => undefined);
        socket.once('connect', () => {
          if (first !== undefined) socket.write(first);
          resolve(client);
        });
        socket.once('error', reject);
      }),
    destroyAll: () => {
      for (const s of sockets.splice(0)) s.destroy();
    },
  };
}
