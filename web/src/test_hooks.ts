// The one way code offers itself to the console, the end-to-end tests and the benchmarks:
// `window.muza.<name>`. Studios expose theirs when they mount and withdraw them on unmount.

type Hooks = Record<string, unknown>;

function hooks(): Hooks {
  const w = window as unknown as { muza?: Hooks };
  return (w.muza ??= {});
}

/** Sets `window.muza[name] = value`; the returned function removes it again (if still ours). */
export function exposeForTests(name: string, value: unknown): () => void {
  const all = hooks();
  all[name] = value;
  return () => {
    if (all[name] === value) delete all[name];
  };
}
