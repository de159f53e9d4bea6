/**
 * The layout Web Worker (built by Vite as its own classic script). Loaded in a page instead, where no worker can
 * start (the static export opened from file://), it registers the same function on window for layout.ts.
 */
import { computeLayout, type LayoutRequest } from './layoutEngine';

declare global {
  interface Window { overlayLayout?: typeof computeLayout }
}

if (typeof window === 'undefined') {
  // in the worker. ELK's bundled script takes self.onmessage for a protocol of its own when its first instance is
  // made (after this line has run), so this listens with addEventListener: ELK's handler ignores these messages.
  const scope = self as unknown as { addEventListener(type: 'message', f: (e: MessageEvent<LayoutRequest>) => void): void; postMessage(m: unknown): void };
  scope.addEventListener('message', (e) => {
    if (e.data && typeof e.data.id === 'number' && Array.isArray(e.data.nodes)) computeLayout(e.data).then((result) => scope.postMessage(result));
  });
} else {
  window.overlayLayout = computeLayout;
}
