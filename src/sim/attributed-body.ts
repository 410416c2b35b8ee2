/**
 * Text recovery from message.attributedBody (protocol section 8.4), used only when text is
 * NULL or empty. Also the minimal typedstream encoder a simulator can write.
 */
const LEADING_CONTROL = /^[\u0000-\u001f\u007f]+/;

export function decodeAttributedBody(blob: Uint8Array | null | undefined): string {
  if (!blob || blob.length === 0) return '';
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  let best = '';
  let at = buf.indexOf(Buffer.from([0x01, 0x2b]));
  while (at !== -1) {
    const start = at + 2;
    let end = buf.indexOf(Buffer.from([0x86, 0x84]), start);
    if (end === -1) end = buf.length;
    let seg = buf.subarray(start, end);
    const first = seg[0];
    if (first !== undefined) {
      if (first < 0x80 && first === seg.length - 1) seg = seg.subarray(1);
      else if (first === 0x81) seg = seg.subarray(2);
      else if (first === 0x82) seg = seg.subarray(3);
    }
    const text = seg.toString('utf8').replace(LEADING_CONTROL, '');
    if (text.length > best.length) best = text;
    at = buf.indexOf(Buffer.from([0x01, 0x2b]), start);
  }
  if (best) return best;
  return buf.toString('utf8').replace(LEADING_CONTROL, '');
}

/** A minimal typedstream carrying `text`, decodable by decodeAttributedBody (and imsg). */
export function encodeAttributedBody(text: string): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  let len: Buffer;
  if (utf8.length < 0x80) len = Buffer.from([utf8.length]);
  else len = Buffer.from([0x81, utf8.length & 0xff, (utf8.length >> 8) & 0xff]);
  return Buffer.concat([
    Buffer.from([0x04, 0x0b]),
    Buffer.from('streamtyped', 'latin1'),
    Buffer.from([0x81, 0xe8, 0x03, 0x84, 0x01, 0x40, 0x84, 0x84, 0x84, 0x12]),
    Buffer.from('NSAttributedString', 'latin1'),
    Buffer.from([0x00, 0x84, 0x84, 0x08]),
    Buffer.from('NSObject', 'latin1'),
    Buffer.from([0x00, 0x85, 0x92, 0x84, 0x84, 0x84, 0x08]),
    Buffer.from('NSString', 'latin1'),
    Buffer.from([0x01, 0x94, 0x84, 0x01, 0x2b]),
    len,
    utf8,
    Buffer.from([0x86, 0x84]),
  ]);
}
