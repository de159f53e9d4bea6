// Builds overlay's UI into overlay/ui/dist (committed, shipped as package data).
// Relative URLs (base './') so one index.html works under /, /overlay/ and file://.
// OVERLAY_UI_OUT overrides the output folder: .ci/run builds into a temp dir and compares it with the committed bundle.
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

// file:// (the static export opened from disk) refuses module scripts (CORS, origin null): the bundle is one
// classic script (iife, no code splitting), loaded with defer instead of type="module".
function classicScript(): Plugin {
  return {
    name: "overlay-classic-script",
    enforce: "post",
    transformIndexHtml(html) {
      return html.replace(/<script type="module" crossorigin src=/g, "<script defer src=").replace(/ crossorigin href=/g, " href=");
    },
  };
}

const outDir = process.env.OVERLAY_UI_OUT || fileURLToPath(new URL("../overlay/ui/dist", import.meta.url));

export default defineConfig({
  base: "./",
  plugins: [react(), classicScript()],
  worker: { format: "iife" },
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4000,
    rolldownOptions: { output: { format: "iife", codeSplitting: false } },
  },
});
