// WrapPad2D: the JS twin of training/backgrounds/models.py's layer (same bare class name and
// config), registered with tfjs before the model is loaded. Circular padding of an NHWC
// tensor by `pad` rows and columns on every side, by slicing and concatenating:
// out = concat([x[:, H-p:], x, x[:, :p]], rows), then the same along the columns (the corners
// come from the opposite corner). The tiled path of generator.ts skips these layers and cuts
// its windows circularly instead; model.predict (parity, thumbnails) runs them.
import * as tf from "@tensorflow/tfjs";
import { PadLayer, type PadLayerArgs, registrar } from "../layers/pad_layer";

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

export class WrapPad2D extends PadLayer {
  static className = "WrapPad2D";

  constructor(args: PadLayerArgs) {
    super(args, "WrapPad2D");
  }

  protected padded(x: tf.Tensor4D): tf.Tensor4D {
    return wrapPad(x, this.pad);
  }
}

/** Registers the layer class with tfjs (idempotent); call before loading the model. */
export const registerWrapPad2D = registrar(WrapPad2D);
