// Reading a visitor's image safely: the format and size come from the file's header
// before anything is decoded, so non-images, truncated files and decompression bombs
// (tiny files that decode to gigapixels) get a clear message instead of a frozen tab.

export const LIMITS = {
  fileBytes: 64 * 1024 * 1024,
  side: 20_000,
  pixels: 50_000_000,
};

export type ImageFormat = "png" | "jpeg" | "gif" | "webp" | "bmp";

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export class ImageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageInputError";
  }
}

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const i32le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

function jpegSize(b: Uint8Array): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const length = u16be(b, i + 2);
    if (length < 2) return null;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: u16be(b, i + 5), width: u16be(b, i + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
    i += 2 + length;
  }
  return null;
}

function webpSize(b: Uint8Array): { width: number; height: number } | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8X" && b.length >= 30) return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === "VP8L" && b.length >= 25 && b[20] === 0x2f) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8 " && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return null;
}

/**
 * Format and size from the first bytes of a file (64 KB is plenty for the formats we read:
 * JPEG frame headers can follow large EXIF blocks, so pass more when you have it).
 * Throws ImageInputError for anything else.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const b = bytes;
  let format: ImageFormat | null = null;
  let size: { width: number; height: number } | null = null;
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === "PNG" && ascii(b, 12, 4) === "IHDR") {
    format = "png";
    size = { width: u32be(b, 16), height: u32be(b, 20) };
  } else if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    format = "jpeg";
    size = jpegSize(b);
  } else if (b.length >= 10 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) {
    format = "gif";
    size = { width: u16le(b, 6), height: u16le(b, 8) };
  } else if (b.length >= 16 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") {
    format = "webp";
    size = webpSize(b);
  } else if (b.length >= 26 && ascii(b, 0, 2) === "BM") {
    format = "bmp";
    size = { width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }
  if (!format) throw new ImageInputError("This file is not an image Muza can read (PNG, JPEG, WebP, GIF or BMP).");
  if (!size) throw new ImageInputError(`This ${format.toUpperCase()} file is damaged: its header has no image size.`);
  if (size.width < 1 || size.height < 1) throw new ImageInputError(`This ${format.toUpperCase()} file is damaged: it claims a size of ${size.width}×${size.height}.`);
  return { format, width: size.width, height: size.height };
}

/** Refuses images whose decoded size would be dangerous, before decoding. */
export function checkDimensions(header: ImageHeader): void {
  const { width, height } = header;
  const megapixels = (width * height) / 1e6;
  if (width > LIMITS.side || height > LIMITS.side || width * height > LIMITS.pixels) {
    throw new ImageInputError(
      `This image is ${width.toLocaleString()}×${height.toLocaleString()} pixels (${megapixels.toFixed(0)} megapixels): ` +
        `too large to open safely here (limit ${LIMITS.pixels / 1e6} megapixels, ${LIMITS.side.toLocaleString()} px per side).`,
    );
  }
}

/** Checks a file's header and limits, then decodes it (off the main thread where the browser can). */
export async function decodeImageFile(file: Blob): Promise<{ bitmap: ImageBitmap; header: ImageHeader }> {
  if (file.size === 0) throw new ImageInputError("This file is empty.");
  if (file.size > LIMITS.fileBytes) {
    throw new ImageInputError(`This file is ${(file.size / 1e6).toFixed(0)} MB; the limit is ${LIMITS.fileBytes / 1024 / 1024} MB.`);
  }
  const head = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());
  const header = readImageHeader(head);
  checkDimensions(header);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new ImageInputError(`This ${header.format.toUpperCase()} file could not be decoded: it is damaged or incomplete.`);
  }
  if (bitmap.width < 1 || bitmap.height < 1) {
    bitmap.close();
    throw new ImageInputError("This image has no pixels.");
  }
  return { bitmap, header };
}
