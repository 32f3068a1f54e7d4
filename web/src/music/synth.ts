// Instruments synthesised with Web Audio, the same on a live AudioContext and an
// OfflineAudioContext (the .wav render): no samples, no soundfont, nothing fetched.
//  - harp: a plucked string by Karplus–Strong (a noise burst circulating in a tuned, damped
//    delay line with an all-pass for the fractional delay), rendered once per pitch into a buffer;
//  - flute: a sine with a little second and third harmonic, delayed vibrato and a breath of
//    band-passed noise at the attack;
//  - piano: six partials in one periodic wave, through a low-pass that closes as the note decays
//    (so the higher partials fade first), with an exponential decay.
// Every note returns its sources so that Stop can silence what is already scheduled.
import type { InstrumentId } from "./settings";

export function midiFrequency(pitch: number): number {
  return 440 * 2 ** ((pitch - 69) / 12);
}

/** One pluck of a string at `frequency`: Karplus–Strong into a Float32Array. Pure (seeded noise). */
export function pluck(frequency: number, sampleRate: number, seconds: number, brightness = 0.5, seed = 1): Float32Array<ArrayBuffer> {
  const out = new Float32Array(Math.max(1, Math.round(seconds * sampleRate)));
  // Loop delay = N samples + 0.5 (the two-point average) + the all-pass's fractional delay.
  const period = sampleRate / frequency;
  const n = Math.max(2, Math.floor(period - 0.5 - 0.01));
  const frac = period - 0.5 - n;
  const c = (1 - frac) / (1 + frac);
  const line = new Float32Array(n);
  let r = seed >>> 0 || 1;
  // Pick: a noise burst, smoothed once per `brightness` (darker strings, fewer high partials).
  let previous = 0;
  for (let i = 0; i < n; i++) {
    r ^= r << 13;
    r ^= r >>> 17;
    r ^= r << 5;
    const noise = ((r >>> 0) / 4294967296) * 2 - 1;
    previous = brightness * noise + (1 - brightness) * previous;
    line[i] = previous;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += line[i] / n;
  for (let i = 0; i < n; i++) line[i] -= mean;
  // Loss per round trip so that the tone falls by 60 dB in about 1.2 s at 220 Hz (faster higher up).
  const t60 = 1.2 * Math.min(1.6, Math.max(0.4, 220 / frequency) ** 0.5);
  const damping = 10 ** (-3 / (t60 * frequency));
  let index = 0;
  let last = line[n - 1];
  let apIn = 0;
  let apOut = 0;
  for (let i = 0; i < out.length; i++) {
    const current = line[index];
    const averaged = 0.5 * (current + last) * damping;
    const tuned = c * averaged + apIn - c * apOut;
    apIn = averaged;
    apOut = tuned;
    last = current;
    line[index] = tuned;
    out[i] = current;
    index = index + 1 === n ? 0 : index + 1;
  }
  return out;
}

const RING_SECONDS = 1.6;
/** Plucks are computed at this rate (the context resamples): half the work of 44.1 kHz, and a
 * damped string has little above 11 kHz. */
const PLUCK_RATE = 22050;

export class Synth {
  readonly output: GainNode;
  private readonly plucks = new Map<number, AudioBuffer>();
  private noise: AudioBuffer | null = null;
  private flutePartials: PeriodicWave | null = null;
  private pianoPartials: PeriodicWave | null = null;

  constructor(readonly ctx: BaseAudioContext, destination: AudioNode = ctx.destination) {
    const compressor = ctx.createDynamicsCompressor();
    compressor.threshold.value = -10;
    compressor.knee.value = 8;
    compressor.ratio.value = 4;
    compressor.attack.value = 0.005;
    compressor.release.value = 0.2;
    this.output = ctx.createGain();
    this.output.gain.value = 0.5;
    this.output.connect(compressor).connect(destination);
  }

  /** Schedules one note; returns the nodes to stop for silence. */
  note(instrument: InstrumentId, pitch: number, when: number, duration: number, velocity: number): AudioScheduledSourceNode[] {
    const v = Math.max(0.05, Math.min(1, velocity));
    if (instrument === "harp") return this.harp(pitch, when, duration, v);
    if (instrument === "flute") return this.flute(pitch, when, duration, v);
    return this.piano(pitch, when, duration, v);
  }

  private pluckBuffer(pitch: number): AudioBuffer {
    let buffer = this.plucks.get(pitch);
    if (!buffer) {
      const rate = Math.min(this.ctx.sampleRate, PLUCK_RATE);
      const samples = pluck(midiFrequency(pitch), rate, RING_SECONDS, pitch > 76 ? 0.65 : 0.5, pitch * 7919);
      buffer = this.ctx.createBuffer(1, samples.length, rate);
      buffer.copyToChannel(samples, 0);
      this.plucks.set(pitch, buffer);
    }
    return buffer;
  }

  private harp(pitch: number, when: number, duration: number, v: number): AudioScheduledSourceNode[] {
    const source = this.ctx.createBufferSource();
    source.buffer = this.pluckBuffer(pitch);
    const gain = this.ctx.createGain();
    const end = when + Math.min(RING_SECONDS, Math.max(duration, 0.05) + 0.25);
    gain.gain.setValueAtTime(1.5 * v, when);
    gain.gain.setValueAtTime(1.5 * v, Math.max(when, end - 0.12));
    gain.gain.linearRampToValueAtTime(0, end);
    source.connect(gain).connect(this.output);
    source.start(when);
    source.stop(end + 0.01);
    return [source];
  }

  private noiseBuffer(): AudioBuffer {
    if (!this.noise) {
      const rate = this.ctx.sampleRate;
      this.noise = this.ctx.createBuffer(1, Math.round(rate * 0.5), rate);
      const data = new Float32Array(this.noise.length);
      let r = 12345;
      for (let i = 0; i < data.length; i++) {
        r = (Math.imul(r, 1103515245) + 12345) >>> 0;
        data[i] = (r / 4294967296) * 2 - 1;
      }
      this.noise.copyToChannel(data, 0);
    }
    return this.noise;
  }

  private flute(pitch: number, when: number, duration: number, v: number): AudioScheduledSourceNode[] {
    const ctx = this.ctx;
    const f = midiFrequency(pitch);
    const d = Math.max(duration, 0.06);
    const attack = Math.min(0.05, d / 3);
    const release = 0.06;
    this.flutePartials ??= ctx.createPeriodicWave(new Float32Array([0, 0, 0, 0]), new Float32Array([0, 1, 0.18, 0.06]));
    const osc = ctx.createOscillator();
    osc.setPeriodicWave(this.flutePartials);
    osc.frequency.value = f;
    // Vibrato (5 Hz, ±0.4 %) that starts after 0.2 s, as a player's would.
    const lfo = ctx.createOscillator();
    lfo.frequency.value = 5.2;
    const depth = ctx.createGain();
    depth.gain.setValueAtTime(0, when);
    depth.gain.setValueAtTime(0, when + Math.min(0.2, d));
    depth.gain.linearRampToValueAtTime(f * 0.004, when + Math.min(0.45, d + 0.01));
    lfo.connect(depth).connect(osc.frequency);
    const gain = ctx.createGain();
    const level = 0.42 * v;
    gain.gain.setValueAtTime(0, when);
    gain.gain.linearRampToValueAtTime(level, when + attack);
    gain.gain.setValueAtTime(level * 0.9, when + d);
    gain.gain.linearRampToValueAtTime(0, when + d + release);
    osc.connect(gain).connect(this.output);
    // Breath: noise around the second harmonic, loud at the attack, then a whisper.
    const breath = ctx.createBufferSource();
    breath.buffer = this.noiseBuffer();
    breath.loop = true;
    const band = ctx.createBiquadFilter();
    band.type = "bandpass";
    band.frequency.value = Math.min(8000, f * 2);
    band.Q.value = 2.5;
    const breathGain = ctx.createGain();
    breathGain.gain.setValueAtTime(0, when);
    breathGain.gain.linearRampToValueAtTime(0.25 * v, when + attack * 0.6);
    breathGain.gain.linearRampToValueAtTime(0.04 * v, when + attack * 2);
    breathGain.gain.setValueAtTime(0.04 * v, when + d);
    breathGain.gain.linearRampToValueAtTime(0, when + d + release);
    breath.connect(band).connect(breathGain).connect(this.output);
    const end = when + d + release + 0.01;
    for (const node of [osc, lfo, breath]) {
      node.start(when);
      node.stop(end);
    }
    return [osc, lfo, breath];
  }

  private piano(pitch: number, when: number, duration: number, v: number): AudioScheduledSourceNode[] {
    const ctx = this.ctx;
    const f = midiFrequency(pitch);
    const d = Math.max(duration, 0.05);
    const release = 0.18;
    const end = when + d + release;
    this.pianoPartials ??= ctx.createPeriodicWave(new Float32Array(7), new Float32Array([0, 1, 0.55, 0.3, 0.18, 0.1, 0.06]));
    const osc = ctx.createOscillator();
    osc.setPeriodicWave(this.pianoPartials);
    osc.frequency.value = f;
    // Brightness fades with the note: the low-pass falls from the sixth partial towards the second.
    const tone = ctx.createBiquadFilter();
    tone.type = "lowpass";
    tone.Q.value = 0.7;
    const tau = 1.1 * Math.min(1.5, (262 / f) ** 0.4);
    tone.frequency.setValueAtTime(Math.min(ctx.sampleRate / 2.2, f * 6), when);
    tone.frequency.setTargetAtTime(f * 1.5, when + 0.01, tau / 2);
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, when);
    gain.gain.linearRampToValueAtTime(0.45 * v, when + 0.004);
    gain.gain.setTargetAtTime(0, when + 0.004, tau);
    gain.gain.setValueAtTime(0.45 * v * Math.exp(-(d - 0.004) / tau), when + d);
    gain.gain.linearRampToValueAtTime(0, end);
    osc.connect(tone).connect(gain).connect(this.output);
    osc.start(when);
    osc.stop(end + 0.01);
    return [osc];
  }
}
