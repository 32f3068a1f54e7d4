// WrapPad2D: the JS twin of training/backgrounds/models.py's layer (same bare class name and
// config), registered with tfjs before the model is loaded. Circular padding of an NHWC
// tensor by `pad` rows and columns on every side, by slicing and concatenating:
// out = concat([x[:, H-p:], x, x[:, :p]], rows), then the same along the columns (the corners
// come from the opposite corner). The tiled path of generator.ts skips these layers and cuts
// its windows circularly instead; model.predict (parity, thumbnails) runs them.
import * as tf from "@tensorflow/tfjs";

/** Circular padding of [N, H, W, C] by p on every side (p ≤ H and p ≤ W). */
export function wrapPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  if (p === 0) return x.clone();
  const [, h, w] = x.shape;
  if (p > h || p > w) throw new Error(`WrapPad2D: cannot wrap ${p} rows/columns around a ${h}×${w} input`);
  return tf.tidy(() => {
    const rows = tf.concat([x.slice([0, h - p, 0, 0], [-1, p, -1, -1]), x, x.slice([0, 0, 0, 0], [-1, p, -1, -1])], 1);
    return tf.concat([rows.slice([0, 0, w - p, 0], [-1, -1, p, -1]), rows, rows.slice([0, 0, 0, 0], [-1, -1, p, -1])], 2) as tf.Tensor4D;
  });
}

interface WrapPadArgs {
  pad?: number;
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
}

export class WrapPad2D extends tf.layers.Layer {
  static className = "WrapPad2D";
  readonly pad: number;

  constructor(args: WrapPadArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    const pad = args.pad ?? 1;
    if (!Number.isInteger(pad) || pad < 0) throw new Error(`WrapPad2D ${args.name ?? ""}: pad must be a whole number ≥ 0 (got ${pad})`);
    this.pad = pad;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const grow = (d: number | null) => (d === null ? null : d + 2 * this.pad);
    return [n, grow(h), grow(w), c];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return wrapPad(x, this.pad);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pad: this.pad };
  }
}

let registered = false;
/** Registers the layer class with tfjs (idempotent); call before loading the model. */
export function registerWrapPad2D(): void {
  if (registered) return;
  tf.serialization.registerClass(WrapPad2D);
  registered = true;
}
