// ReflectPad: the JS twin of training/style/layers.py's layer (same bare class name and config
// key `pad`), registered with tfjs before a style model is loaded. Pads H and W of an NHWC
// tensor by `pad` on every side with their mirror image, the edge pixel not repeated
// (tf.pad(..., mode="REFLECT") in TensorFlow, tf.mirrorPad(..., "reflect") here). Models trained
// with `--padding reflect` put one before every "valid" convolution.
import * as tf from "@tensorflow/tfjs";
import { PadLayer, type PadLayerArgs, registrar } from "../layers/pad_layer";

export class ReflectPad extends PadLayer {
  static className = "ReflectPad";

  constructor(args: PadLayerArgs) {
    super(args, "ReflectPad");
  }

  protected padded(x: tf.Tensor4D): tf.Tensor4D {
    const [, h, w] = x.shape;
    const p = this.pad;
    if (p >= h || p >= w) throw new Error(`${this.name}: cannot mirror ${p} rows/columns of a ${w}×${h} feature map`);
    return tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], "reflect");
  }
}

/** Registers the layer class with tfjs (idempotent); call before loading the model. */
export const registerReflectPad = registrar(ReflectPad);
