/**
 * The layout Web Worker (built by Vite as its own classic script). Loaded in a page instead, where no worker can
 * start (the static export opened from file://), it registers the same function on window for layout.ts.
 */
import { computeLayout, type LayoutRequest } from './layoutEngine';

declare global {
  interface Window { overlayLayout?: typeof computeLayout }
}

if (typeof window === 'undefined') {
  // in the worker: ELK (elk.bundled.js) installed a message handler of its own when imported; this one replaces it
  const scope = self as unknown as { onmessage: ((e: MessageEvent<LayoutRequest>) => void) | null; postMessage(m: unknown): void };
  scope.onmessage = (e) => {
    computeLayout(e.data).then((result) => scope.postMessage(result));
  };
} else {
  window.overlayLayout = computeLayout;
}
