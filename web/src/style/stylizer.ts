// The style-transfer model: loading, single-pass and tiled stylisation. No DOM here:
// pixels come in and go out as ImageData (available in windows and workers alike).
import * as tf from "@tensorflow/tfjs";
import { loadArtifacts, type ModelCard, type ProgressListener, type StudioModel } from "../models";
import { NormStats, recordingStats, registerConditionalInstanceNorm, supplyingStats } from "./cin_layer";
import { registerReflectPad } from "./reflect_pad";
import { planTiles, receptiveField, type Rect, type SpatialLayer, type Tile } from "./tiling";

export interface StyleInfo {
  id: string;
  index: number;
  title: string;
  artist: string;
  year: string;
  thumbnail: string;
}

interface StyleExtras {
  styles?: StyleInfo[];
  input_range?: [number, number];
  size_multiple?: number;
  reference?: string;
}

/** A whole image the tiler can read from: pixels of any region, or the whole image resized. */
export interface PixelSource {
  width: number;
  height: number;
  read(rect: Rect): ImageData;
  scaled(width: number, height: number): ImageData;
}

export interface TiledOptions {
  /** Largest tile core (output pixels per tile side). */
  maxCore?: number;
  /** Long side of the downscaled whole image whose statistics every tile uses. */
  statsSide?: number;
  /**
   * Normalisation statistics for every tile: recorded from a downscaled copy of the whole image
   * (default), given (the caller keeps ownership), or "per-tile" (each tile its own: shows the
   * seams this design avoids; for tests and demonstrations).
   */
  statistics?: NormStats | "per-tile";
  /** Shortest side a network run takes (see Stylizer.run); default 0 (only the stride). */
  minSide?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Receives each finished tile core. */
  write(rect: Rect, pixels: ImageData): void;
}

export class CancelledError extends Error {
  constructor() {
    super("Cancelled");
    this.name = "CancelledError";
  }
}

/** Sizes scaled so the long side is at most `longSide`, rounded to whole pixels. */
export function fitLongSide(width: number, height: number, longSide: number): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export class Stylizer implements StudioModel {
  private model: tf.LayersModel | null = null;
  /** Input/output multiple of the network (total stride). */
  multiple = 4;
  /** Tile overlap in input pixels (at least the receptive-field radius). */
  overlap = 0;
  readonly styles: StyleInfo[];

  constructor(readonly card: ModelCard) {
    const extras = (card.extras ?? {}) as StyleExtras;
    this.styles = (extras.styles ?? []).slice().sort((a, b) => a.index - b.index);
    const range = extras.input_range;
    if (range && (range[0] !== 0 || range[1] !== 255)) throw new Error(`${card.title}: unsupported input range ${range.join("..")}`);
  }

  async initialize(onProgress?: ProgressListener): Promise<void> {
    if (this.model) return;
    registerConditionalInstanceNorm();
    registerReflectPad();
    const artifacts = await loadArtifacts(this.card, this.card.entry, onProgress);
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    if (model.inputs.length !== 2) {
      model.dispose();
      throw new Error(`${this.card.title}: expected inputs [image, style], got ${model.inputs.length} input(s)`);
    }
    this.model = model;
    const numStyles = model.inputs[1].shape[1];
    if (this.styles.length !== numStyles) {
      throw new Error(`${this.card.title}: the card lists ${this.styles.length} styles, the model takes ${numStyles}`);
    }
    const spatial = model.layers.map((layer) => {
      const config = layer.getConfig() as Record<string, unknown>;
      return {
        className: layer.getClassName(),
        kernelSize: (config.kernelSize ?? config.poolSize) as SpatialLayer["kernelSize"],
        strides: config.strides as SpatialLayer["strides"],
        size: config.size as SpatialLayer["size"],
      };
    });
    const field = receptiveField(spatial);
    const declared = ((this.card.extras ?? {}) as StyleExtras).size_multiple;
    this.multiple = Math.max(field.stride, declared ?? 1);
    this.overlap = Math.ceil((field.radius + 1) / this.multiple) * this.multiple;
  }

  get numStyles(): number {
    return this.styles.length;
  }

  /** Mixing weights (any non-negative numbers, normalised to sum 1) as a [1, S] tensor. */
  styleVector(weights: number[]): tf.Tensor2D {
    if (weights.length !== this.numStyles) throw new Error(`expected ${this.numStyles} style weights, got ${weights.length}`);
    const sum = weights.reduce((a, b) => a + Math.max(0, b), 0);
    if (!(sum > 0)) throw new Error("style weights must not all be zero");
    return tf.tensor2d([weights.map((w) => Math.max(0, w) / sum)], [1, this.numStyles]);
  }

  /**
   * The network on one image: [H, W, 3] float 0..255 in, [H, W, 3] float 0..255 out.
   * Sizes that are not multiples of the stride are padded by reflection, then cropped.
   * A side shorter than `minSide` is padded on both sides by mirrored copies of the image
   * up to `minSide` (the output is cropped back), so any size from 1x1 up runs.
   * With `stats`, every normalisation layer uses them instead of the image's own.
   */
  run(image: tf.Tensor3D, weights: number[], stats?: NormStats, minSide = 0): tf.Tensor3D {
    const model = this.requireModel();
    return tf.tidy(() => {
      const [h, w] = image.shape;
      if (h < 1 || w < 1) throw new Error(`an image of ${w}×${h} pixels has nothing to stylise`);
      const [top, bottom] = padding(h, this.multiple, minSide);
      const [left, right] = padding(w, this.multiple, minSide);
      const x = mirrorPadded(image.toFloat().expandDims(0) as tf.Tensor4D, top, bottom, left, right);
      const style = this.styleVector(weights);
      const predict = () => model.predict([x, style]) as tf.Tensor4D;
      const y = stats ? supplyingStats(stats, predict) : predict();
      return y.slice([0, top, left, 0], [1, h, w, 3]).squeeze([0]) as tf.Tensor3D;
    });
  }

  /** Runs the network once on `image` and keeps every normalisation layer's statistics. */
  recordStats(image: tf.Tensor3D, weights: number[], minSide = 0): NormStats {
    const stats = new NormStats();
    try {
      recordingStats(stats, () => tf.dispose(this.run(image, weights, undefined, minSide)));
    } catch (error) {
      stats.dispose();
      throw error;
    }
    return stats;
  }

  /** Single-pass stylisation of a whole image (keep it small: see stylizeTiled). */
  async stylize(pixels: ImageData, weights: number[], stats?: NormStats, minSide = 0): Promise<ImageData> {
    const out = tf.tidy(() => toRgba(this.run(tf.browser.fromPixels(pixels), weights, stats, minSide)));
    return await toImageData(out, pixels.width, pixels.height);
  }

  /** Tiles for an image of this size (exposed for tests and the progress display). */
  planTiles(width: number, height: number, maxCore = 512): Tile[] {
    return planTiles(width, height, maxCore, this.overlap, this.multiple);
  }

  /**
   * Stylises a large image in overlapping tiles. Pass 1 records the normalisation statistics
   * of a downscaled copy of the whole image; pass 2 runs every tile with them. Yields to the
   * event loop between tiles; `signal` cancels between tiles.
   */
  async stylizeTiled(source: PixelSource, weights: number[], options: TiledOptions): Promise<{ tiles: Tile[]; statsSize: [number, number] }> {
    const maxCore = options.maxCore ?? 512;
    const statsSide = options.statsSide ?? 512;
    const check = () => {
      if (options.signal?.aborted) throw new CancelledError();
    };
    const tiles = this.planTiles(source.width, source.height, maxCore);
    const small = fitLongSide(source.width, source.height, statsSide);
    check();
    let stats: NormStats | undefined;
    const ownStats = options.statistics === undefined;
    if (options.statistics instanceof NormStats) stats = options.statistics;
    else if (ownStats) {
      const smallTensor = tf.browser.fromPixels(source.scaled(small.width, small.height));
      try {
        stats = this.recordStats(smallTensor, weights, options.minSide);
      } finally {
        smallTensor.dispose();
      }
    }
    try {
      options.onProgress?.(0, tiles.length);
      for (let i = 0; i < tiles.length; i++) {
        await yieldToEventLoop();
        check();
        const { core, region } = tiles[i];
        const input = source.read(region);
        const rgba = tf.tidy(() => {
          const y = this.run(tf.browser.fromPixels(input), weights, stats, options.minSide);
          const kept = y.slice([core.y - region.y, core.x - region.x, 0], [core.height, core.width, 3]);
          return toRgba(kept as tf.Tensor3D);
        });
        options.write(core, await toImageData(rgba, core.width, core.height));
        options.onProgress?.(i + 1, tiles.length);
      }
    } finally {
      if (ownStats) stats?.dispose();
    }
    return { tiles, statsSize: [small.width, small.height] };
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }

  private requireModel(): tf.LayersModel {
    if (!this.model) throw new Error("Stylizer.initialize() has not finished");
    return this.model;
  }
}

/**
 * Padding [before, after] of one side of `size` pixels: a side of at least `minSide` is only
 * padded after, up to the next multiple of `multiple` (the crop keeps its top-left corner);
 * a shorter one is centred in max(minSide, size) rounded up to that multiple.
 */
export function padding(size: number, multiple: number, minSide: number): [number, number] {
  const target = Math.ceil(Math.max(size, minSide) / multiple) * multiple;
  if (size >= minSide) return [0, target - size];
  const before = Math.floor((target - size) / 2);
  return [before, target - size - before];
}

/**
 * Symmetric mirror padding by any amount: tfjs pads by at most the current size per call,
 * so large pads (a 1-pixel image padded to 64) repeat the call as the image grows.
 */
function mirrorPadded(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  while (top || bottom || left || right) {
    const [, h, w] = x.shape;
    const t = Math.min(top, h), b = Math.min(bottom, h), l = Math.min(left, w), r = Math.min(right, w);
    x = tf.mirrorPad(x, [[0, 0], [t, b], [l, r], [0, 0]], "symmetric");
    top -= t;
    bottom -= b;
    left -= l;
    right -= r;
  }
  return x;
}

/** [H, W, 3] float 0..255 to [H, W, 4] int32 RGBA. */
function toRgba(rgb: tf.Tensor3D): tf.Tensor3D {
  const [h, w] = rgb.shape;
  const clipped = rgb.clipByValue(0, 255).round().toInt() as tf.Tensor3D;
  return tf.concat([clipped, tf.fill([h, w, 1], 255, "int32") as tf.Tensor3D], 2);
}

async function toImageData(rgba: tf.Tensor3D, width: number, height: number): Promise<ImageData> {
  try {
    const values = (await rgba.data()) as Int32Array;
    return new ImageData(new Uint8ClampedArray(values), width, height);
  } finally {
    rgba.dispose();
  }
}

/** Lets the page paint (progress) and handle input (Cancel) between tiles. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    // After the next animation frame (the paint), or after 50 ms in a hidden tab without frames.
    const fallback = setTimeout(resolve, 50);
    if (typeof requestAnimationFrame === "function") {
      requestAnimationFrame(() => {
        clearTimeout(fallback);
        setTimeout(resolve, 0);
      });
    }
  });
}
