// ConditionalInstanceNorm: the JS twin of training/layers.py (same class name, config
// keys and weight names), registered with tfjs before the style model is loaded.
//
// Per image and channel: y = (x - mean) / sqrt(var + eps) * (style @ gamma) + (style @ beta),
// with mean/var over H and W. For tiling, the statistics can be recorded in one run (on a
// downscaled whole image) and supplied to later runs (each tile), so every tile is
// normalised with the same whole-image statistics and no seams show.
import * as tf from "@tensorflow/tfjs";

export interface ChannelStats {
  mean: tf.Tensor4D; // [1, 1, 1, C]
  variance: tf.Tensor4D; // [1, 1, 1, C]
}

/** Statistics per layer name, recorded by one run and supplied to others. */
export class NormStats {
  readonly layers = new Map<string, ChannelStats>();

  get size(): number {
    return this.layers.size;
  }

  dispose(): void {
    for (const { mean, variance } of this.layers.values()) {
      mean.dispose();
      variance.dispose();
    }
    this.layers.clear();
  }
}

type Mode = { kind: "own" } | { kind: "record"; stats: NormStats } | { kind: "supply"; stats: NormStats };
let mode: Mode = { kind: "own" };

/** Runs `fn` (synchronously) with every CIN layer recording its statistics into `stats`. */
export function recordingStats<T>(stats: NormStats, fn: () => T): T {
  return withMode({ kind: "record", stats }, fn);
}

/** Runs `fn` (synchronously) with every CIN layer using the statistics in `stats`. */
export function supplyingStats<T>(stats: NormStats, fn: () => T): T {
  return withMode({ kind: "supply", stats }, fn);
}

function withMode<T>(next: Mode, fn: () => T): T {
  const previous = mode;
  mode = next;
  try {
    return fn();
  } finally {
    mode = previous;
  }
}

// tfjs hands the Keras config over with camelCase keys (num_styles becomes numStyles).
interface CinArgs {
  numStyles?: number;
  num_styles?: number;
  epsilon?: number;
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
}

export class ConditionalInstanceNorm extends tf.layers.Layer {
  static className = "ConditionalInstanceNorm";
  readonly numStyles: number;
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: CinArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    const numStyles = args.numStyles ?? args.num_styles;
    if (!numStyles || numStyles < 1) throw new Error(`ConditionalInstanceNorm ${args.name ?? ""}: num_styles is missing from its config`);
    this.numStyles = numStyles;
    this.epsilon = args.epsilon ?? 1e-3;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const [xShape, styleShape] = inputShape as tf.Shape[];
    const channels = xShape[xShape.length - 1];
    if (channels == null) throw new Error(`${this.name}: the channel dimension must be known`);
    const styles = styleShape[styleShape.length - 1];
    if (styles != null && styles !== this.numStyles) {
      throw new Error(`${this.name}: style input has ${styles} entries, expected ${this.numStyles}`);
    }
    this.gamma = this.addWeight("gamma", [this.numStyles, channels], "float32", tf.initializers.ones());
    this.beta = this.addWeight("beta", [this.numStyles, channels], "float32", tf.initializers.zeros());
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, style] = inputs as [tf.Tensor4D, tf.Tensor2D];
      const channels = x.shape[3];
      let mean: tf.Tensor4D;
      let variance: tf.Tensor4D;
      if (mode.kind === "supply") {
        const given = mode.stats.layers.get(this.name);
        if (!given) throw new Error(`${this.name}: no supplied statistics`);
        if (given.mean.shape[3] !== channels) throw new Error(`${this.name}: supplied statistics have the wrong channel count`);
        ({ mean, variance } = given);
      } else {
        const moments = tf.moments(x, [1, 2], true);
        mean = moments.mean as tf.Tensor4D;
        variance = moments.variance as tf.Tensor4D;
        if (mode.kind === "record") {
          if (x.shape[0] !== 1) throw new Error(`${this.name}: statistics are recorded for one image at a time`);
          const old = mode.stats.layers.get(this.name);
          old?.mean.dispose();
          old?.variance.dispose();
          mode.stats.layers.set(this.name, { mean: tf.keep(mean.clone()), variance: tf.keep(variance.clone()) });
        }
      }
      const gammaMix = tf.matMul(style, this.gamma.read()).reshape([-1, 1, 1, channels]);
      const betaMix = tf.matMul(style, this.beta.read()).reshape([-1, 1, 1, channels]);
      // (x - mean) * scale + beta, with scale = gamma / sqrt(var + eps): two full-size ops.
      const scale = tf.mul(gammaMix, tf.rsqrt(tf.add(variance, this.epsilon)));
      const shift = tf.sub(betaMix, tf.mul(mean, scale));
      return tf.add(tf.mul(x, scale), shift);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numStyles: this.numStyles, epsilon: this.epsilon };
  }
}

let registered = false;
/** Registers the layer class with tfjs (idempotent); call before loading the model. */
export function registerConditionalInstanceNorm(): void {
  if (registered) return;
  tf.serialization.registerClass(ConditionalInstanceNorm);
  registered = true;
}
