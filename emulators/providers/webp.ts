// A small lossless WebP (VP8L) encoder, so Sora 2 thumbnails can be `image/webp`
// (docs/providers/openai-videos.md#content) without a native image library. It uses only what a
// decoder must accept from any encoder: no transforms, no colour cache, one set of prefix codes,
// literals plus run-length copies of the previous pixel. Written from the WebP lossless bitstream
// spec (RFC 9649); both libwebp and ffmpeg decode it. Pictures here are flat colours with a band,
// so runs make the file small.

/** Bits are packed least-significant first, as VP8L requires. */
class BitWriter {
  private readonly bytes: number[] = [];
  private buffer = 0;
  private count = 0;

  write(value: number, bits: number) {
    for (let i = 0; i < bits; i++) {
      this.buffer |= ((value >>> i) & 1) << this.count;
      if (++this.count === 8) {
        this.bytes.push(this.buffer);
        this.buffer = 0;
        this.count = 0;
      }
    }
  }

  /** Prefix codes are read most-significant bit first. */
  writeCode(code: number, length: number) {
    for (let i = length - 1; i >= 0; i--) this.write((code >>> i) & 1, 1);
  }

  finish(): Buffer {
    if (this.count > 0) this.bytes.push(this.buffer);
    return Buffer.from(this.bytes);
  }
}

/** Huffman code lengths for `freqs`, none longer than `maxBits` (frequencies are flattened until they fit). */
export function codeLengths(freqs: number[], maxBits: number): number[] {
  let counts = freqs.slice();
  for (let floor = 1; ; floor *= 2) {
    const lengths = huffmanLengths(counts);
    if (Math.max(...lengths) <= maxBits) return lengths;
    counts = counts.map((c) => (c > 0 ? Math.max(c, floor) : 0));
  }
}

function huffmanLengths(freqs: number[]): number[] {
  type Node = { weight: number; symbols: number[] };
  const lengths = new Array<number>(freqs.length).fill(0);
  let nodes: Node[] = freqs.flatMap((weight, symbol) => (weight > 0 ? [{ weight, symbols: [symbol] }] : []));
  if (nodes.length === 1) lengths[nodes[0].symbols[0]] = 1;
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.weight - b.weight);
    const [a, b] = nodes;
    for (const symbol of [...a.symbols, ...b.symbols]) lengths[symbol]++;
    nodes = [{ weight: a.weight + b.weight, symbols: [...a.symbols, ...b.symbols] }, ...nodes.slice(2)];
  }
  return lengths;
}

/** Canonical codes (the decoder rebuilds them from the lengths alone). */
function canonicalCodes(lengths: number[]): number[] {
  const maxLength = Math.max(0, ...lengths);
  const perLength = new Array<number>(maxLength + 1).fill(0);
  for (const length of lengths) if (length > 0) perLength[length]++;
  // The deflate recurrence: codes of each length follow those of the length before.
  const next = new Array<number>(maxLength + 1).fill(0);
  for (let length = 1, code = 0; length <= maxLength; length++) {
    code = (code + perLength[length - 1]) << 1;
    next[length] = code;
  }
  return lengths.map((length) => (length > 0 ? next[length]++ : 0));
}

interface PrefixCode {
  lengths: number[];
  codes: number[];
}

/** Order in which code-length code lengths are stored (spec 3.7.2.1.2). */
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * Writes the prefix code for one alphabet and returns it. One or two used symbols below 256
 * use the "simple" form (written in ascending order: libwebp assigns codes canonically, ffmpeg
 * in written order, and ascending makes both agree); anything else the normal form.
 */
function writePrefixCode(w: BitWriter, freqs: number[]): PrefixCode {
  const used = freqs.flatMap((f, symbol) => (f > 0 ? [symbol] : []));
  if (used.length <= 2 && used.every((s) => s < 256)) {
    const symbols = used.length === 0 ? [0] : used;
    w.write(1, 1); // simple code
    w.write(symbols.length - 1, 1);
    const first = symbols[0];
    if (first < 2) {
      w.write(0, 1);
      w.write(first, 1);
    } else {
      w.write(1, 1);
      w.write(first, 8);
    }
    if (symbols.length === 2) w.write(symbols[1], 8);
    const lengths = new Array<number>(freqs.length).fill(0);
    const codes = new Array<number>(freqs.length).fill(0);
    if (symbols.length === 2) {
      lengths[symbols[0]] = lengths[symbols[1]] = 1;
      codes[symbols[1]] = 1;
    }
    return { lengths, codes };
  }
  const lengths = codeLengths(freqs, 15);
  const lengthFreqs = new Array<number>(19).fill(0);
  for (const length of lengths) lengthFreqs[length]++;
  // A code needs two symbols; a length value that never occurs only takes code space.
  if (lengthFreqs.filter((f) => f > 0).length < 2) lengthFreqs[lengthFreqs[0] > 0 ? 1 : 0] = 1;
  const lengthLengths = codeLengths(lengthFreqs, 7);
  const lengthCodes = canonicalCodes(lengthLengths);
  let stored = 19;
  while (stored > 4 && lengthLengths[CODE_LENGTH_ORDER[stored - 1]] === 0) stored--;
  w.write(0, 1); // normal code
  w.write(stored - 4, 4);
  for (let i = 0; i < stored; i++) w.write(lengthLengths[CODE_LENGTH_ORDER[i]], 3);
  w.write(0, 1); // every symbol's length follows (no max_symbol)
  for (const length of lengths) w.writeCode(lengthCodes[length], lengthLengths[length]);
  return { lengths, codes: canonicalCodes(lengths) };
}

/** LZ77 lengths and distances share one prefix scheme: a symbol plus extra bits (spec 5.2.2). */
function prefixEncode(value: number): { symbol: number; extraBits: number; extra: number } {
  const v = value - 1;
  if (v < 4) return { symbol: v, extraBits: 0, extra: 0 };
  const high = 31 - Math.clz32(v);
  const second = (v >>> (high - 1)) & 1;
  const extraBits = high - 1;
  return { symbol: 2 * high + second, extraBits, extra: v & ((1 << extraBits) - 1) };
}

const MAX_RUN = 4096;
/** Plane code 2 is the pixel to the left (distance 1); its prefix symbol is 1 with no extra bits. */
const LEFT_NEIGHBOUR = prefixEncode(2);

type Token = { literal: number } | { run: number };

/** Encodes RGBA pixels (4 bytes each, row by row) as a lossless WebP file. */
export function encodeWebpLossless(rgba: Uint8Array, width: number, height: number): Buffer {
  if (width < 1 || height < 1 || width > 16384 || height > 16384)
    throw new RangeError(`WebP sizes are 1..16384, got ${width}x${height}`);
  const pixels = width * height;
  const argbAt = (i: number) =>
    ((rgba[i * 4 + 3] << 24) | (rgba[i * 4] << 16) | (rgba[i * 4 + 1] << 8) | rgba[i * 4 + 2]) >>> 0;
  const tokens: Token[] = [];
  const green = new Array<number>(256 + 24).fill(0);
  const red = new Array<number>(256).fill(0);
  const blue = new Array<number>(256).fill(0);
  const alpha = new Array<number>(256).fill(0);
  const distance = new Array<number>(40).fill(0);
  for (let i = 0; i < pixels;) {
    const argb = argbAt(i);
    let run = 0;
    if (i > 0 && argbAt(i - 1) === argb)
      while (run < MAX_RUN && i + run < pixels && argbAt(i + run) === argb) run++;
    if (run >= 3) {
      tokens.push({ run });
      green[256 + prefixEncode(run).symbol]++;
      distance[LEFT_NEIGHBOUR.symbol]++;
      i += run;
      continue;
    }
    tokens.push({ literal: argb });
    green[(argb >>> 8) & 0xff]++;
    red[(argb >>> 16) & 0xff]++;
    blue[argb & 0xff]++;
    alpha[argb >>> 24]++;
    i++;
  }

  const w = new BitWriter();
  w.write(0x2f, 8); // VP8L signature
  w.write(width - 1, 14);
  w.write(height - 1, 14);
  w.write(rgba.some((_, i) => i % 4 === 3 && rgba[i] !== 255) ? 1 : 0, 1); // alpha_is_used hint
  w.write(0, 3); // version
  w.write(0, 1); // no transforms
  w.write(0, 1); // no colour cache
  w.write(0, 1); // no meta prefix codes
  const [g, r, b, a, d] = [green, red, blue, alpha, distance].map((freqs) => writePrefixCode(w, freqs));
  for (const token of tokens) {
    if ('literal' in token) {
      const argb = token.literal;
      for (const [code, symbol] of [
        [g, (argb >>> 8) & 0xff],
        [r, (argb >>> 16) & 0xff],
        [b, argb & 0xff],
        [a, argb >>> 24],
      ] as const) {
        w.writeCode(code.codes[symbol], code.lengths[symbol]);
      }
    } else {
      const length = prefixEncode(token.run);
      w.writeCode(g.codes[256 + length.symbol], g.lengths[256 + length.symbol]);
      w.write(length.extra, length.extraBits);
      w.writeCode(d.codes[LEFT_NEIGHBOUR.symbol], d.lengths[LEFT_NEIGHBOUR.symbol]);
    }
  }
  const payload = w.finish();
  const padded = payload.length % 2 === 1 ? Buffer.concat([payload, Buffer.alloc(1)]) : payload;
  const header = Buffer.alloc(20);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(4 + 8 + padded.length, 4);
  header.write('WEBPVP8L', 8, 'latin1');
  header.writeUInt32LE(payload.length, 16);
  return Buffer.concat([header, padded]);
}
