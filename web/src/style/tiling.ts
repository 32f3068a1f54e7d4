// Overlapping tiles for large images. Pure functions: no tensors, no DOM.
//
// Each tile runs the network on an input region = its core grown by `overlap` on every
// side (clamped to the image), and only the core of the output is kept. With the overlap
// at least the network's receptive-field radius and the same normalisation statistics
// for every tile, the kept pixels are the ones a whole-image run would give.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Tile {
  /** Pixels written to the output. */
  core: Rect;
  /** Pixels fed to the network (contains the core). */
  region: Rect;
}

/** Splits [0, length) into n nearly equal spans whose inner borders are multiples of `multiple`. */
function spans(length: number, maxCore: number, multiple: number): [number, number][] {
  const n = Math.max(1, Math.ceil(length / maxCore));
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= n; i++) {
    const end = i === n ? length : Math.min(length, Math.round((length * i) / n / multiple) * multiple);
    if (end > start) out.push([start, end]);
    start = end;
  }
  return out;
}

/**
 * Tiles covering a width x height image. Cores are at most `maxCore` wide; regions start on
 * multiples of `multiple` (the network's total stride), so strided convolutions sample the
 * same grid as a whole-image run.
 */
export function planTiles(width: number, height: number, maxCore: number, overlap: number, multiple = 4): Tile[] {
  if (width < 1 || height < 1) throw new Error(`cannot tile a ${width}x${height} image`);
  if (maxCore < multiple) throw new Error(`tile core ${maxCore} is smaller than the stride ${multiple}`);
  const pad = Math.ceil(overlap / multiple) * multiple;
  const tiles: Tile[] = [];
  for (const [y0, y1] of spans(height, maxCore, multiple)) {
    for (const [x0, x1] of spans(width, maxCore, multiple)) {
      const rx = Math.max(0, x0 - pad);
      const ry = Math.max(0, y0 - pad);
      const rx1 = Math.min(width, x1 + pad);
      const ry1 = Math.min(height, y1 + pad);
      tiles.push({
        core: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
        region: { x: rx, y: ry, width: rx1 - rx, height: ry1 - ry },
      });
    }
  }
  return tiles;
}

/** Inner tile borders (x positions of vertical seams, y positions of horizontal ones). */
export function tileBorders(tiles: Tile[]): { xs: number[]; ys: number[] } {
  const xs = new Set<number>();
  const ys = new Set<number>();
  for (const { core } of tiles) {
    if (core.x > 0) xs.add(core.x);
    if (core.y > 0) ys.add(core.y);
  }
  return { xs: [...xs].sort((a, b) => a - b), ys: [...ys].sort((a, b) => a - b) };
}

/** A layer as far as the receptive field is concerned. */
export interface SpatialLayer {
  className: string;
  kernelSize?: number | number[];
  strides?: number | number[];
  size?: number | number[];
}

function first(value: number | number[] | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  return Array.isArray(value) ? Math.max(...value) : value;
}

/**
 * An upper bound of the receptive-field radius in input pixels, summing every spatial
 * layer in order (residual branches are counted as if in series, which only over-counts),
 * and the total stride (product of conv strides).
 */
export function receptiveField(layers: SpatialLayer[]): { radius: number; stride: number } {
  let scale = 1; // input pixels per feature pixel at the current layer
  let radius = 0;
  let stride = 1;
  for (const layer of layers) {
    if (/Conv2D$|Conv2DTranspose$|Pooling2D$/.test(layer.className)) {
      const k = first(layer.kernelSize, 1);
      radius += Math.floor(k / 2) * scale;
      const s = first(layer.strides, 1);
      if (/Transpose/.test(layer.className)) scale /= s;
      else {
        // Keras 'same' padding with stride 2 puts the extra pixel at the bottom/right.
        radius += (s - 1) * scale;
        scale *= s;
        stride *= s;
      }
    } else if (layer.className === "UpSampling2D") {
      scale /= first(layer.size, 2);
    }
  }
  return { radius: Math.ceil(radius), stride };
}
