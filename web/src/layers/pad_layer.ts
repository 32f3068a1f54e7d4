// The shape and config of a layer that pads H and W of an NHWC tensor by `pad` on every side
// (config key `pad`, no weights), as our Keras padding layers write it. Subclasses say how the
// border is filled (pad()); each registers under its own bare class name.
import * as tf from "@tensorflow/tfjs";

export interface PadLayerArgs {
  pad?: number;
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
}

export abstract class PadLayer extends tf.layers.Layer {
  readonly pad: number;

  constructor(args: PadLayerArgs, kind: string) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    const pad = args.pad ?? 1;
    if (!Number.isInteger(pad) || pad < 0) throw new Error(`${kind} ${args.name ?? ""}: pad must be a whole number ≥ 0 (got ${pad})`);
    this.pad = pad;
  }

  /** [N, H, W, C] -> [N, H + 2 pad, W + 2 pad, C]. */
  protected abstract padded(x: tf.Tensor4D): tf.Tensor4D;

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const grow = (d: number | null) => (d === null ? null : d + 2 * this.pad);
    return [n, grow(h), grow(w), c];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.padded((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pad: this.pad };
  }
}

/** A registration function that registers `cls` with tfjs once (call before loading a model). */
export function registrar(cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>): () => void {
  let registered = false;
  return () => {
    if (registered) return;
    tf.serialization.registerClass(cls);
    registered = true;
  };
}
