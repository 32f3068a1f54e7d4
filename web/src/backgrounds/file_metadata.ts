// Credits and licences written into downloaded files: PNG text chunks (tEXt, or iTXt when
// a text is not Latin-1), a JPEG comment segment (COM), and WebM tags. Pure byte work.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 255) return false;
  return true;
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One PNG chunk: length, type, data, CRC of type + data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(latin1(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A tEXt chunk (keyword NUL text, Latin-1), or iTXt (UTF-8, uncompressed) when the text needs it. */
export function textChunk(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || /^ | $|  /.test(keyword)) throw new Error(`bad PNG keyword ${JSON.stringify(keyword)}`);
  if (isLatin1(text)) return pngChunk("tEXt", concat([latin1(keyword), new Uint8Array([0]), latin1(text.replace(/\0/g, ""))]));
  // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text
  return pngChunk("iTXt", concat([latin1(keyword), new Uint8Array([0, 0, 0, 0, 0]), new TextEncoder().encode(text.replace(/\0/g, ""))]));
}

/** `png` with text chunks for `entries` inserted right after its IHDR chunk. */
export function pngWithText(png: Uint8Array, entries: [string, string][]): Uint8Array {
  if (png.length < 33 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) throw new Error("not a PNG file");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const ihdrLength = view.getUint32(8);
  if (String.fromCharCode(...png.subarray(12, 16)) !== "IHDR") throw new Error("PNG without IHDR first");
  const end = 8 + 12 + ihdrLength;
  return concat([png.subarray(0, end), ...entries.map(([k, v]) => textChunk(k, v)), png.subarray(end)]);
}

/** The text chunks of a PNG (tEXt and iTXt), in order: for tests and for reading a download back. */
export function pngTexts(png: Uint8Array): [string, string][] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: [string, string][] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === "tEXt" || type === "iTXt") {
      const nul = data.indexOf(0);
      const keyword = String.fromCharCode(...data.subarray(0, nul));
      if (type === "tEXt") out.push([keyword, String.fromCharCode(...data.subarray(nul + 1))]);
      else {
        let p = nul + 3;
        p = data.indexOf(0, p) + 1; // language tag
        p = data.indexOf(0, p) + 1; // translated keyword
        out.push([keyword, new TextDecoder().decode(data.subarray(p))]);
      }
    }
    at += 12 + length;
  }
  return out;
}

/** `jpeg` with a COM segment (UTF-8 `text`, at most 65,533 bytes) right after its SOI marker. */
export function jpegWithComment(jpeg: Uint8Array, text: string): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error("not a JPEG file");
  const body = new TextEncoder().encode(text).subarray(0, 65533);
  const segment = new Uint8Array(4 + body.length);
  segment[0] = 0xff;
  segment[1] = 0xfe;
  new DataView(segment.buffer).setUint16(2, body.length + 2);
  segment.set(body, 4);
  return concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

// ------------------------------------------------------------------ WebM (Matroska) tags
/** An EBML element: its ID bytes, the size as a variable-length integer, the data. */
function ebml(id: number[], data: Uint8Array): Uint8Array {
  const n = data.length;
  let size: number[];
  if (n < 0x7f) size = [0x80 | n];
  else if (n < 0x3fff) size = [0x40 | (n >> 8), n & 0xff];
  else if (n < 0x1fffff) size = [0x20 | (n >> 16), (n >> 8) & 0xff, n & 0xff];
  else if (n < 0x0fffffff) size = [0x10 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  else throw new Error("EBML element too large");
  return concat([Uint8Array.from(id), Uint8Array.from(size), data]);
}

/** A Tags element with one SimpleTag per entry (TagName, TagString), for the whole file. */
export function webmTags(entries: [string, string][]): Uint8Array {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const simple = entries.map(([name, value]) => ebml([0x67, 0xc8], concat([ebml([0x45, 0xa3], utf8(name)), ebml([0x44, 0x87], utf8(value))])));
  const tag = ebml([0x73, 0x73], concat([ebml([0x63, 0xc0], new Uint8Array(0)), ...simple]));
  return ebml([0x12, 0x54, 0xc3, 0x67], tag);
}

/** Reads an EBML variable-length number at `at`: its value and length (the marker bit removed). */
function vint(bytes: Uint8Array, at: number): { value: number; length: number; unknown: boolean } {
  const first = bytes[at];
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8) throw new Error("bad EBML size");
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[at + i];
    allOnes &&= bytes[at + i] === 0xff;
  }
  return { value, length, unknown: allOnes };
}

function elementId(bytes: Uint8Array, at: number): { id: number; length: number } {
  const first = bytes[at];
  let length = 1;
  while (length <= 4 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 4) throw new Error("bad EBML ID");
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + bytes[at + i];
  return { id, length };
}

const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;

/**
 * `webm` (as MediaRecorder writes it: a Segment of unknown size) with a Tags element inserted
 * before its first Cluster. A Segment of known size grows by the inserted bytes.
 */
export function webmWithTags(webm: Uint8Array, entries: [string, string][]): Uint8Array {
  const header = elementId(webm, 0);
  if (header.id !== 0x1a45dfa3) throw new Error("not a WebM file");
  const headerSize = vint(webm, header.length);
  const segmentAt = header.length + headerSize.length + headerSize.value;
  const segment = elementId(webm, segmentAt);
  if (segment.id !== SEGMENT) throw new Error("WebM without a Segment after its header");
  const sizeAt = segmentAt + segment.length;
  const segmentSize = vint(webm, sizeAt);
  let at = sizeAt + segmentSize.length;
  while (at < webm.length) {
    const child = elementId(webm, at);
    if (child.id === CLUSTER) break;
    const size = vint(webm, at + child.length);
    if (size.unknown) throw new Error("WebM element of unknown size before the first Cluster");
    at += child.length + size.length + size.value;
  }
  const tags = webmTags(entries);
  const out = concat([webm.subarray(0, at), tags, webm.subarray(at)]);
  if (!segmentSize.unknown) {
    // Rewrite the Segment size in place (same length, new value).
    let value = segmentSize.value + tags.length;
    for (let i = segmentSize.length - 1; i >= 1; i--) {
      out[sizeAt + i] = value % 256;
      value = Math.floor(value / 256);
    }
    out[sizeAt] = (0x80 >> (segmentSize.length - 1)) | value;
  }
  return out;
}
