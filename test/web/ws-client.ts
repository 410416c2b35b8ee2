/** A minimal WebSocket client for tests (Node 20 has none built in): upgrade, then text frames. */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import { expect } from 'vitest';

export function wsConnect(port: number, protocols: string[], host = `127.0.0.1:${port}`): Promise<{ status: number; socket?: Duplex; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': key,
        'sec-websocket-protocol': protocols.join(', '),
      },
    });
    req.on('upgrade', (res, socket, head: Buffer) => {
      const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      expect(res.headers['sec-websocket-accept']).toBe(expected);
      const messages: string[] = [];
      let buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 2) {
          let len = buffer[1]! & 0x7f;
          let off = 2;
          if (len === 126) {
            len = buffer.readUInt16BE(2);
            off = 4;
          } else if (len === 127) {
            len = Number(buffer.readBigUInt64BE(2));
            off = 10;
          }
          if (buffer.length < off + len) break;
          messages.push(buffer.subarray(off, off + len).toString('utf8'));
          buffer = buffer.subarray(off + len);
        }
      };
      onData(head);
      socket.on('data', onData);
      resolve({ status: 101, socket, messages });
    });
    req.on('response', (res) => resolve({ status: res.statusCode ?? 0, messages: [] }));
    req.on('error', reject);
    req.end();
  });
}
