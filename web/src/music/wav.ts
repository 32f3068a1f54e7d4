// A WAV (RIFF, 16-bit PCM) writer for rendered audio, and the figures used to check a render
// (duration, RMS, peak, clipped samples). Pure: typed arrays in, bytes out.

/** Interleaved 16-bit PCM WAV of one or more equally long channels of samples in [-1, 1]. */
export function writeWav(channels: Float32Array[], sampleRate: number): Uint8Array {
  if (channels.length < 1 || channels.length > 8) throw new RangeError(`1 to 8 channels, got ${channels.length}`);
  const frames = channels[0].length;
  if (channels.some((c) => c.length !== frames)) throw new RangeError("every channel must have the same length");
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`bad sample rate ${sampleRate}`);
  const blockAlign = channels.length * 2;
  const dataBytes = frames * blockAlign;
  const buffer = new ArrayBuffer(44 + dataBytes);
  const view = new DataView(buffer);
  const text = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, dataBytes, true);
  let offset = 44;
  for (let i = 0; i < frames; i++) {
    for (const channel of channels) {
      const s = Math.max(-1, Math.min(1, channel[i] || 0));
      view.setInt16(offset, s < 0 ? Math.round(s * 32768) : Math.round(s * 32767), true);
      offset += 2;
    }
  }
  return new Uint8Array(buffer);
}

export interface AudioFigures {
  seconds: number;
  rms: number;
  peak: number;
  /** Samples at or beyond full scale (|s| ≥ 0.999). */
  clipped: number;
}

export function audioFigures(channels: Float32Array[], sampleRate: number): AudioFigures {
  let sum = 0;
  let peak = 0;
  let clipped = 0;
  let count = 0;
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) {
      const a = Math.abs(channel[i]);
      sum += a * a;
      if (a > peak) peak = a;
      if (a >= 0.999) clipped += 1;
    }
    count += channel.length;
  }
  return { seconds: channels.length ? channels[0].length / sampleRate : 0, rms: count ? Math.sqrt(sum / count) : 0, peak, clipped };
}

/** Scales the channels (in place) so that the peak is at most `ceiling`; returns the gain used. */
export function limitPeak(channels: Float32Array[], ceiling = 0.89): number {
  let peak = 0;
  for (const channel of channels) for (let i = 0; i < channel.length; i++) peak = Math.max(peak, Math.abs(channel[i]));
  if (peak <= ceiling || peak === 0) return 1;
  const gain = ceiling / peak;
  for (const channel of channels) for (let i = 0; i < channel.length; i++) channel[i] *= gain;
  return gain;
}
