// The GAN generator in TensorFlow.js, with no DOM: latents in, pixels out.
// `new LatentGenerator(card)`, `await initialize()`, `render(latent)`, `dispose()`.
import * as tf from "@tensorflow/tfjs";
import { loadLayersModel, type ModelCard, type ProgressListener, type StudioModel } from "../models";

export interface LatentExtras {
  latent_dim: number;
  output_range?: [number, number];
  image_size: number;
  directions?: string;
  reference?: string;
  truncation_default?: number;
}

export class LatentGenerator implements StudioModel {
  private model: tf.LayersModel | null = null;
  readonly latentDim: number;
  readonly imageSize: number;
  private readonly range: [number, number];

  constructor(readonly card: ModelCard) {
    const extras = (card.extras ?? {}) as Partial<LatentExtras>;
    if (!extras.latent_dim || !extras.image_size) {
      throw new Error(`${card.title}: the model card has no latent_dim / image_size in extras`);
    }
    this.latentDim = extras.latent_dim;
    this.imageSize = extras.image_size;
    this.range = extras.output_range ?? [-1, 1];
  }

  async initialize(onProgress?: ProgressListener): Promise<void> {
    if (this.model) return;
    const model = await loadLayersModel(this.card, this.card.entry, onProgress);
    const input = model.inputs[0].shape;
    const output = model.outputs[0].shape;
    const s = this.imageSize;
    if (input[1] !== this.latentDim || output[1] !== s || output[2] !== s || output[3] !== 3) {
      model.dispose();
      throw new Error(`${this.card.title}: model maps [${input}] to [${output}], the card says ${this.latentDim} → ${s}×${s}×3`);
    }
    this.model = model;
    await this.outputs([new Float32Array(this.latentDim)]); // warm-up: compiles kernels / shaders
  }

  /** Raw generator output for a batch of latents: N × size × size × 3 floats, NHWC. */
  async outputs(latents: Float32Array[]): Promise<Float32Array> {
    const model = this.model;
    if (!model) throw new Error("LatentGenerator used before initialize()");
    const flat = new Float32Array(latents.length * this.latentDim);
    latents.forEach((z, n) => {
      if (z.length !== this.latentDim) throw new Error(`latent has ${z.length} numbers, expected ${this.latentDim}`);
      flat.set(z, n * this.latentDim);
    });
    const images = tf.tidy(() => model.predict(tf.tensor2d(flat, [latents.length, this.latentDim])) as tf.Tensor4D);
    try {
      return (await images.data()) as Float32Array;
    } finally {
      images.dispose();
    }
  }

  /** RGBA bytes (for ImageData) of each latent's image. */
  async pixels(latents: Float32Array[]): Promise<Uint8ClampedArray[]> {
    const values = await this.outputs(latents);
    const area = this.imageSize * this.imageSize;
    const [lo, hi] = this.range;
    const scale = 255 / (hi - lo);
    return latents.map((_, n) => {
      const rgba = new Uint8ClampedArray(area * 4);
      const from = n * area * 3;
      for (let p = 0; p < area; p++) {
        rgba[4 * p] = Math.round((values[from + 3 * p] - lo) * scale);
        rgba[4 * p + 1] = Math.round((values[from + 3 * p + 1] - lo) * scale);
        rgba[4 * p + 2] = Math.round((values[from + 3 * p + 2] - lo) * scale);
        rgba[4 * p + 3] = 255;
      }
      return rgba;
    });
  }

  async render(latent: Float32Array): Promise<Uint8ClampedArray> {
    return (await this.pixels([latent]))[0];
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
