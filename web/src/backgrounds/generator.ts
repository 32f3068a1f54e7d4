// The texture generator in TensorFlow.js, with no DOM: noise grids in, pixels out.
// `new BackgroundGenerator(card)`, `await initialize()`, then `predict` (the model as Keras runs
// it, wrap padding and all: parity, thumbnails) or `runWindow` (one segment of the network on
// a circular window of its input, valid convolutions: the tiled path), `dispose()`.
import * as tf from "@tensorflow/tfjs";
import { fetchModelJson, loadLayersModel, type ModelCard, type ProgressListener, type StudioModel } from "../models";
import { backSpans, forwardSpan, magnification, reach, wrappedIndices, type Span, type SpatialOp } from "./plan";
import { WrapPad2D, registerWrapPad2D } from "./wrap_pad";

export interface NoiseLayout {
  cell_px: number;
  channels: number;
  local: { start: number; count: number };
  global: { start: number; count: number };
  receptive_field_cells?: number;
}

export interface BackgroundExtras {
  textures_file: string;
  reference_file?: string;
  noise: NoiseLayout;
  attributions?: string[];
  flop_per_pixel?: number;
}

export interface TexturesFile {
  global_channels: number;
  local_channels: number;
  textures: { id: number; name: string; file?: string; category?: string; credit?: string; licence?: string; attribution?: string | null; point: number[] }[];
}

export interface TextureInfo {
  id: number;
  name: string;
  /** A readable name: the file name without its category prefix. */
  label: string;
  category: string;
  credit: string;
  licence: string;
  /** The line a CC BY texture requires wherever it is used, else null. */
  attribution: string | null;
  point: Float32Array;
}

type Activation = "linear" | "relu" | "tanh" | "sigmoid";

/** One executable step of a segment (wrap pads are left out: the window is cut circularly instead). */
type Step =
  | { kind: "conv"; kernel: tf.Tensor4D; bias: tf.Tensor1D | null; activation: Activation }
  | { kind: "up"; factor: number }
  | { kind: "point"; activation: Activation };

/** A run of the network: its steps and what each does to space (for plan.ts). */
export interface Segment {
  steps: Step[];
  ops: SpatialOp[];
  /** Channels in and out. */
  inChannels: number;
  outChannels: number;
}

export function textureLabel(name: string, category: string): string {
  const rest = category && name.startsWith(`${category}_`) ? name.slice(category.length + 1) : name;
  const words = rest.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function activationOf(name: unknown): Activation {
  const a = String(name ?? "linear").toLowerCase();
  if (a === "linear" || a === "relu" || a === "tanh" || a === "sigmoid") return a;
  throw new Error(`unsupported activation ${a}`);
}

function activate(x: tf.Tensor4D, a: Activation): tf.Tensor4D {
  if (a === "relu") return tf.relu(x);
  if (a === "tanh") return tf.tanh(x);
  if (a === "sigmoid") return tf.sigmoid(x);
  return x;
}

/**
 * The model's layers as segments: one per convolution at the noise grid's resolution (each
 * runs on the whole grid in bands), then one from the first upsampling to the RGB output
 * (runs per output piece). Refuses anything but a chain of wrap pads, 3x3-style valid
 * convolutions, ReLUs / activations and nearest upsamplings.
 */
export function segmentsOf(model: tf.LayersModel): Segment[] {
  const segments: Segment[] = [];
  let current: Segment | null = null;
  let channels = model.inputs[0].shape[3] as number;
  let pendingPad = 0;
  let upsampled = false;
  const start = () => {
    const s: Segment = { steps: [], ops: [], inChannels: channels, outChannels: channels };
    segments.push(s);
    return s;
  };
  model.layers.forEach((layer, i) => {
    const cls = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    if (i > 0 && layer.inboundNodes[0]?.inboundLayers[0] !== model.layers[i - 1]) throw new Error(`layer ${layer.name} does not follow ${model.layers[i - 1].name}: not a chain`);
    if (cls === "InputLayer") return;
    if (layer instanceof WrapPad2D) {
      pendingPad = layer.pad;
      if (!upsampled) current = start();
      return;
    }
    current ??= start();
    if (cls === "Conv2D") {
      const k = config.kernelSize as number[];
      const strides = config.strides as number[];
      const dilation = config.dilationRate as number[];
      if (config.padding !== "valid" || k[0] !== k[1] || k[0] - 1 !== 2 * pendingPad || strides.some((s) => s !== 1) || dilation.some((d) => d !== 1)) {
        throw new Error(`layer ${layer.name}: only stride-1 valid convolutions after a WrapPad2D of half their kernel are supported`);
      }
      const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
      const out = config.filters as number;
      current.steps.push({ kind: "conv", kernel, bias: bias ?? null, activation: activationOf(config.activation) });
      current.ops.push({ kind: "conv", pad: pendingPad, kernel: k[0], inChannels: channels, outChannels: out });
      channels = out;
      pendingPad = 0;
    } else if (cls === "ReLU" || cls === "Activation") {
      if (cls === "ReLU" && (config.maxValue != null || (config.negativeSlope ?? 0) !== 0 || (config.threshold ?? 0) !== 0)) throw new Error(`layer ${layer.name}: only a plain ReLU is supported`);
      const activation = cls === "ReLU" ? "relu" : activationOf(config.activation);
      const last = current.steps[current.steps.length - 1];
      if (last?.kind === "conv" && last.activation === "linear" && activation === "relu") last.activation = "relu";
      else {
        current.steps.push({ kind: "point", activation });
        current.ops.push({ kind: "point" });
      }
    } else if (cls === "UpSampling2D") {
      const size = config.size as number[];
      if (size[0] !== size[1] || (config.interpolation ?? "nearest") !== "nearest") throw new Error(`layer ${layer.name}: only square nearest upsampling is supported`);
      if (!upsampled) current = start();
      upsampled = true;
      current.steps.push({ kind: "up", factor: size[0] });
      current.ops.push({ kind: "up", factor: size[0] });
    } else {
      throw new Error(`layer ${layer.name} (${cls}) is not supported by the tiled generator`);
    }
    current.outChannels = channels;
  });
  return segments.filter((s) => s.steps.length > 0);
}

/** The span [a, b) of axis `axis` of x, cut circularly (a slice when it lies inside). */
function cutAxis(x: tf.Tensor4D, axis: 1 | 2, [a, b]: Span): tf.Tensor4D {
  const size = x.shape[axis];
  if (a === 0 && b === size) return x;
  if (a >= 0 && b <= size) {
    const begin = [0, 0, 0, 0];
    const length = [-1, -1, -1, -1];
    begin[axis] = a;
    length[axis] = b - a;
    return x.slice(begin, length);
  }
  return tf.gather(x, tf.tensor1d(wrappedIndices(a, b, size), "int32"), axis);
}

export class BackgroundGenerator implements StudioModel {
  private model: tf.LayersModel | null = null;
  readonly layout: NoiseLayout;
  readonly extras: BackgroundExtras;
  textures: TextureInfo[] = [];
  segments: Segment[] = [];
  /** Milliseconds per GFLOP on the current backend (measured at start, updated by every run). */
  msPerGflop = 200;

  constructor(readonly card: ModelCard) {
    const extras = (card.extras ?? {}) as Partial<BackgroundExtras>;
    const noise = extras.noise;
    if (!extras.textures_file || !noise || !noise.cell_px || !noise.local || !noise.global) {
      throw new Error(`${card.title}: the model card has no textures_file / noise layout in extras`);
    }
    if (noise.local.start !== 0 || noise.global.start !== noise.local.count || noise.channels !== noise.local.count + noise.global.count) {
      throw new Error(`${card.title}: unsupported noise layout (local channels first, then global ones)`);
    }
    this.layout = noise;
    this.extras = extras as BackgroundExtras;
  }

  /** The tfjs backend it runs on. */
  backend(): string {
    return tf.getBackend();
  }

  get cellPx(): number {
    return this.layout.cell_px;
  }

  get localChannels(): number {
    return this.layout.local.count;
  }

  get channels(): number {
    return this.layout.channels;
  }

  async initialize(onProgress?: ProgressListener): Promise<void> {
    if (this.model) return;
    registerWrapPad2D();
    const [model, doc] = await Promise.all([loadLayersModel(this.card, this.card.entry, onProgress), fetchModelJson<TexturesFile>(this.card, this.extras.textures_file)]);
    try {
      this.attach(model, doc);
    } catch (error) {
      model.dispose();
      throw error;
    }
    await this.warmUp();
  }

  /** Takes a loaded model and its textures file (checked against the card); no warm-up. */
  attach(model: tf.LayersModel, doc: TexturesFile): void {
    const input = model.inputs[0].shape;
    if (input[3] !== this.channels || model.outputs[0].shape[3] !== 3) {
      throw new Error(`${this.card.title}: the model maps [${input}] to [${model.outputs[0].shape}], the card says ${this.channels} noise channels → RGB`);
    }
    if (doc.global_channels !== this.layout.global.count || doc.local_channels !== this.localChannels) {
      throw new Error(`${this.card.title}: textures.json is for ${doc.local_channels} + ${doc.global_channels} channels, the card says ${this.localChannels} + ${this.layout.global.count}`);
    }
    this.textures = doc.textures.map((t, i) => {
      if (t.point.length !== doc.global_channels) throw new Error(`${this.card.title}: texture ${t.name} has ${t.point.length} numbers, expected ${doc.global_channels}`);
      if (t.id !== undefined && t.id !== i) throw new Error(`${this.card.title}: textures.json lists texture ${t.id} in place ${i}`);
      const category = t.category ?? "";
      return {
        id: i, name: t.name, label: textureLabel(t.name, category), category,
        credit: t.credit ?? "", licence: t.licence ?? "unknown licence", attribution: t.attribution ?? null,
        point: Float32Array.from(t.point),
      };
    });
    if (!this.textures.length) throw new Error(`${this.card.title}: textures.json lists no textures`);
    this.segments = segmentsOf(model);
    const magnified = this.segments.reduce((m, s) => m * magnification(s.ops), 1);
    if (magnified !== this.cellPx) throw new Error(`${this.card.title}: the network upsamples ×${magnified}, the card says ${this.cellPx} px per cell`);
    this.model = model;
  }

  private get net(): tf.LayersModel {
    if (!this.model) throw new Error("BackgroundGenerator used before initialize()");
    return this.model;
  }

  /** Receptive field of the whole network in cells (each side). */
  get reachCells(): number {
    let total = 0;
    let scale = 1;
    for (const s of this.segments) {
      total += reach(s.ops) * scale;
      scale /= magnification(s.ops);
    }
    return total;
  }

  /** The model as Keras runs it (wrap padding included): noise [N, h, w, C] → RGB [N, 32h, 32w, 3] in [-1, 1]. */
  predict(noise: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.net.predict(noise) as tf.Tensor4D);
  }

  /**
   * One segment on the window `rows` x `cols` of its output (unwrapped spans at its output
   * resolution), cut circularly from `input` (the segment's whole input) with the reach it
   * needs; exactly the pixels the whole network would give there.
   */
  runWindow(segment: Segment, input: tf.Tensor4D, rows: Span, cols: Span): tf.Tensor4D {
    const r = backSpans(segment.ops, rows);
    const c = backSpans(segment.ops, cols);
    return tf.tidy(() => {
      let x = cutAxis(cutAxis(input, 1, r.input), 2, c.input);
      let sr = r.input;
      let sc = c.input;
      segment.steps.forEach((step, i) => {
        if (step.kind === "conv") {
          x = tf.fused.conv2d({ x, filter: step.kernel, bias: step.bias ?? undefined, strides: 1, pad: "valid", activation: step.activation === "relu" ? "relu" : "linear" });
          if (step.activation === "tanh" || step.activation === "sigmoid") x = activate(x, step.activation);
        } else if (step.kind === "up") {
          const [, h, w] = x.shape;
          x = tf.image.resizeNearestNeighbor(x, [h * step.factor, w * step.factor]);
        } else {
          x = activate(x, step.activation);
        }
        sr = forwardSpan(segment.ops[i], sr);
        sc = forwardSpan(segment.ops[i], sc);
        const [ar, br] = r.after[i];
        const [ac, bc] = c.after[i];
        if (ar !== sr[0] || br !== sr[1] || ac !== sc[0] || bc !== sc[1]) {
          x = x.slice([0, ar - sr[0], ac - sc[0], 0], [-1, br - ar, bc - ac, -1]);
          sr = [ar, br];
          sc = [ac, bc];
        }
      });
      return x;
    });
  }

  /** The low segments on a whole grid in one go, then the last on all of it: the tiled path as one piece (for checks). */
  runWhole(noise: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let x = noise;
      for (const segment of this.segments) {
        const [, h, w] = x.shape;
        const f = magnification(segment.ops);
        x = this.runWindow(segment, x, [0, h * f], [0, w * f]);
      }
      return x;
    });
  }

  /** A first run of every segment (compiles kernels), then a timed one: sets msPerGflop. */
  private async warmUp(): Promise<void> {
    const cells = 6;
    const noise = tf.randomNormal([1, cells, cells, this.channels], 0, 1, "float32", 1) as tf.Tensor4D;
    try {
      for (let pass = 0; pass < 2; pass++) {
        const started = performance.now();
        const out = this.runWhole(noise);
        await out.data();
        out.dispose();
        if (pass === 1) this.noteSpeed(cells * cells * this.cellPx * this.cellPx * this.flopPerPixel(), performance.now() - started);
      }
    } finally {
      noise.dispose();
    }
  }

  /** FLOP per output pixel of the whole network (convolutions). */
  flopPerPixel(): number {
    let perCell = 0;
    let positions = 1; // positions per cell at the current resolution
    for (const s of this.segments) {
      for (const op of s.ops) {
        if (op.kind === "up") positions *= op.factor * op.factor;
        else if (op.kind === "conv") perCell += positions * op.outChannels * (2 * op.kernel * op.kernel * op.inChannels + 1);
      }
    }
    return perCell / (this.cellPx * this.cellPx);
  }

  /**
   * Updates the speed estimate with a run of `flop` that took `ms` (a moving average). Runs
   * under 50 MFLOP are left out once there is an estimate: their fixed costs (kernel calls,
   * downloads) would make the backend look slower than it is, and the pieces ever smaller.
   */
  noteSpeed(flop: number, ms: number): void {
    if (!(flop > 0) || !(ms > 0) || (this.measured && flop < 5e7)) return;
    const sample = ms / (flop / 1e9);
    this.msPerGflop = this.measured ? 0.7 * this.msPerGflop + 0.3 * sample : sample;
    this.measured = true;
  }

  private measured = false;

  /** Thumbnails: one image of `cells` x `cells` cells per texture id (same seeded noise for all), RGBA bytes each. */
  async thumbnails(ids: number[], cells: number, local: Float32Array, batch = 6): Promise<Uint8ClampedArray[]> {
    const out: Uint8ClampedArray[] = [];
    const g = this.layout.global.count;
    const l = this.localChannels;
    for (let from = 0; from < ids.length; from += batch) {
      const part = ids.slice(from, from + batch);
      const flat = new Float32Array(part.length * cells * cells * this.channels);
      part.forEach((id, n) => {
        const point = this.textures[id].point;
        for (let cell = 0; cell < cells * cells; cell++) {
          const o = (n * cells * cells + cell) * this.channels;
          flat.set(local.subarray(cell * l, (cell + 1) * l), o);
          flat.set(point.subarray(0, g), o + l);
        }
      });
      const bytes = tf.tidy(() => {
        const y = this.predict(tf.tensor4d(flat, [part.length, cells, cells, this.channels]));
        return tf.concat([y.add(1).mul(127.5).round().clipByValue(0, 255), tf.fill([...y.shape.slice(0, 3), 1] as [number, number, number, number], 255)], 3).cast("int32");
      });
      const data = (await bytes.data()) as Int32Array;
      bytes.dispose();
      const size = cells * this.cellPx;
      part.forEach((_, n) => out.push(new Uint8ClampedArray(data.subarray(n * size * size * 4, (n + 1) * size * size * 4))));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return out;
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
    this.segments = [];
  }
}
