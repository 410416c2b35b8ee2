/**
 * Scenario 1's reader, run as its own Node process: reads imsg notification lines from stdin (a
 * pipe), splits them on newlines and JSON-parses each one, counting `message` notifications. This
 * is the least a consumer of `imsg rpc` must do, so its rate is the machine's limit for the
 * gateway's inbound path. Prints one JSON line: {"events","firstByteAt","endAt","ms"} (times from
 * performance.now(), ms between the first byte and EOF).
 */
let events = 0;
let firstByteAt = 0;
let carry: Buffer | null = null;

function parseLine(buf: Buffer, start: number, end: number): void {
  if (end <= start) return;
  const obj = JSON.parse(buf.toString('utf8', start, end)) as { method?: string };
  if (obj.method === 'message') events++;
}

process.stdin.on('data', (chunk: Buffer) => {
  if (firstByteAt === 0) firstByteAt = performance.now();
  let buf = chunk;
  if (carry) {
    buf = Buffer.concat([carry, chunk]);
    carry = null;
  }
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
    parseLine(buf, start, nl);
    start = nl + 1;
  }
  if (start < buf.length) carry = Buffer.from(buf.subarray(start));
});

process.stdin.on('end', () => {
  if (carry) parseLine(carry, 0, carry.length);
  const endAt = performance.now();
  process.stdout.write(`${JSON.stringify({ events, firstByteAt, endAt, ms: endAt - firstByteAt })}\n`);
});
