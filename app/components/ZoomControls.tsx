import type { Dispatch, SetStateAction } from 'react';
import type { View } from './BoardCanvas.js';

/** Zoom out / the zoom level / zoom in / reset: the board's view buttons (members' board and a shared board's page). */
export function ZoomControls({ view, setView }: { view: View; setView: Dispatch<SetStateAction<View>> }) {
  return (
    <>
      <button type="button" className="button ghost small" onClick={() => setView((v) => ({ ...v, zoom: Math.max(0.2, v.zoom / 1.2) }))} aria-label="Zoom out">
        −
      </button>
      <span className="small muted zoom-level" aria-live="polite">
        {Math.round(view.zoom * 100)}%
      </span>
      <button type="button" className="button ghost small" onClick={() => setView((v) => ({ ...v, zoom: Math.min(3, v.zoom * 1.2) }))} aria-label="Zoom in">
        +
      </button>
      <button type="button" className="button ghost small" onClick={() => setView({ x: 0, y: 0, zoom: 1 })}>
        Reset view
      </button>
    </>
  );
}
