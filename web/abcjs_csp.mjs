// abcjs under our CSP (style-src 'self', no 'unsafe-inline'): the renderer sets a few inline
// styles with setAttribute("style", ...) (its hidden text-measuring SVG among them) and puts a
// <style> element into every SVG it draws. The browser refuses both (and logs an error). This
// esbuild plugin rewrites them at bundle time: setAttribute("style", v) becomes
// `el.style.cssText = v` (CSSOM, which the CSP allows) and insertStyles (a drag-and-drop rule
// we do not use; music.css carries it) does nothing. It fails the build if abcjs changes shape.
import fs from "node:fs";

const FILES = /abcjs[\\/]src[\\/](write[\\/]svg|write[\\/]engraver-controller|api[\\/]abc_tunebook_svg|api[\\/]tune-metrics|synth[\\/]synth-controller)\.js$/;
const SET_STYLE = /([\w$.]+)\.setAttribute\((["'])style\2,\s*/g;
const INSERT_STYLES = /Svg\.prototype\.insertStyles = function \(styles\) \{/;
const HELPER = "function __muzaCssText(el, value) { el.style.cssText = value; }\n";

export function abcjsCspPlugin() {
  const patched = new Set();
  return {
    name: "abcjs-csp",
    setup(build) {
      build.onLoad({ filter: FILES }, async (args) => {
        let source = await fs.promises.readFile(args.path, "utf8");
        const name = args.path.split(/[\\/]/).slice(-2).join("/");
        let changes = 0;
        source = source.replace(SET_STYLE, (_, target) => {
          changes += 1;
          return `__muzaCssText(${target}, `;
        });
        if (name === "write/svg.js") {
          if (!INSERT_STYLES.test(source)) throw new Error(`${args.path}: insertStyles not found (abcjs changed?)`);
          source = source.replace(INSERT_STYLES, (m) => `${m} return;`);
          changes += 1;
        }
        if (changes === 0) throw new Error(`${args.path}: no inline style to rewrite (abcjs changed?)`);
        patched.add(name);
        return { contents: HELPER + source, loader: "js" };
      });
      build.onEnd((result) => {
        if (result.errors.length === 0 && !patched.has("write/svg.js")) {
          result.errors.push({ text: "abcjs-csp: abcjs/src/write/svg.js was not bundled (abcjs moved its renderer?)" });
        }
      });
    },
  };
}
