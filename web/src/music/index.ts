// Music studio: folk tunes written in ABC notation by a character LSTM (the poems engine), drawn
// by abcjs and played by our own Web Audio synth. The page lives in music_studio.ts; this file
// opens the model and exposes `window.muza.music` for the tests and benchmarks.
// `#/music?m=NAME&meter=…&key=…&seed=N…` opens shared settings (settings.ts) and writes that tune.
import "./music.css";
import { initialized, type ModelCard } from "../models";
import { hashParams, modelPicker, modelStudioView, type Mount } from "../model_studio";
import { Poet, SnapshotCache, loadReference, loadPoet, valBitsPerChar } from "../poems/poet";
import { useCustomKernels } from "../poems/kernels";
import type { StudioView } from "../studio";
import { exposeForTests } from "../test_hooks";
import { formatBytes, h } from "../ui/dom";
import { ProgressBar, messageBox } from "../ui/progress";
import { totalBytes } from "../models";
import { perform } from "./abc_events";
import { musicGamePanel, musicLearnPanel } from "./extras";
import { AbcState } from "./grammar";
import { MusicStudio } from "./music_studio";
import { tuneMidi, tuneSamples } from "./output_panel";
import { decodeShare, encodeShare, primer, DEFAULTS, type TuneSettings } from "./settings";
import { writeTune } from "./tune_writer";
import { audioFigures, writeWav } from "./wav";

function describe(card: ModelCard): HTMLElement {
  const bits = valBitsPerChar(card);
  const facts = [
    bits === null ? null : `${bits.toFixed(2)} bits/char on held-out tunes`,
    card.parameters ? `${card.parameters.toLocaleString("en")} parameters` : null,
    formatBytes(totalBytes(card)),
  ].filter(Boolean);
  return h("div", { class: "model-info" },
    h("p", { class: "model-title" }, h("strong", { text: card.title }), ` · ${card.description}`),
    h("p", { class: "meta", text: facts.join(" · ") }));
}

async function open(root: HTMLElement, card: ModelCard, all: ModelCard[], mount: Mount, backend: () => { software?: boolean } | undefined): Promise<void> {
  const progress = ProgressBar.download(card.title);
  const message = messageBox();
  root.append(h("div", { class: "music-model" }, ...modelPicker("music", all, card, "Music model"), describe(card)), progress.element, message.element);
  const poet = mount.own(new Poet(card));
  await initialized(poet, (loaded, total) => progress.bytes(loaded, total));
  if (!mount.alive) return;
  progress.hide();
  const snapshots = mount.own(new SnapshotCache());
  const studio = new MusicStudio(poet, backend);
  mount.own({ dispose: () => void studio.dispose() });
  const learn = musicLearnPanel(studio, snapshots);
  learn.setPoet(poet);
  const game = musicGamePanel(studio, snapshots);
  game.setPoet(poet);
  root.append(studio.element, learn.element, game.element);
  root.dataset.model = `${card.studio}/${card.name}`;
  const params = hashParams();
  params.delete("m");
  const problems = studio.start(params);
  if (problems.length) message.error(`This link has settings the studio cannot use, so their defaults are used: ${problems.join(" ")}`);
  mount.onUnmount(exposeForTests("music", {
    card,
    poet,
    studio,
    useCustomKernels,
    loadReference,
    load: (name: string, entry?: string) => loadPoet("music", name, entry),
    /** The tune on the page as ABC, and how the last write went. */
    text: () => studio.tune?.text() ?? "",
    stats: () => studio.stats,
    warnings: () => studio.notation.warnings,
    notes: () => studio.notation.noteCount,
    audio: () => {
      const player = studio.audioPlayer;
      return player ? { state: player.context.state, playing: player.playing, firstSoundAt: player.firstSoundAt, startedAt: player.startedAt, time: player.context.currentTime } : null;
    },
    midi: () => (studio.tune ? Array.from(tuneMidi(studio.tune, studio.controls.read().instrument)) : null),
    /** The tune rendered offline: WAV bytes (base64) and its figures. */
    async wav() {
      if (!studio.tune) return null;
      const samples = await tuneSamples(studio.tune, studio.controls.read().instrument);
      const bytes = writeWav([samples], 44100);
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { base64: btoa(binary), ...audioFigures([samples], 44100) };
    },
    shareUrl: () => studio.output.shareUrl(),
    /** Writes one tune without the page (benchmarks, the 50-tune test): header from `settings`. */
    async writeTune(settings: Partial<TuneSettings>, seed: number) {
      const s = { ...DEFAULTS, ...settings };
      const generator = poet.generator();
      try {
        const result = await writeTune(generator, {
          primer: primer(s),
          rules: { barAware: s.barAware, untilBars: s.bars },
          sampling: { temperature: s.temperature, topK: 0, topP: s.topP },
          seed,
        });
        return { ...result, text: primer(s) + result.written };
      } finally {
        generator.dispose();
      }
    },
    api: { perform, AbcState, encodeShare, decodeShare, primer },
  }));
}

let backendInfo: () => { software?: boolean } | undefined = () => undefined;

const inner = modelStudioView({
  id: "music",
  title: "Music",
  lead: "Folk tunes written one ABC character at a time by a character-level LSTM, drawn as sheet music and played by a synthesiser in your browser. Set the header, press Generate and listen while it writes.",
  noneText: "No music model exported yet. Train one with `python -m training music train …` and export it (see the README).",
  preferred: "folk",
  open: (root, card, all, mount) => open(root, card, all, mount, backendInfo),
});

export const view: StudioView = {
  mount(root, ctx) {
    backendInfo = ctx.backend;
    return inner.mount(root, ctx);
  },
  unmount() {
    inner.unmount();
  },
};
