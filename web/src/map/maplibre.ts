/**
 * maplibre-gl 6 under Vite: the worker must be given as its own URL or nothing draws (STACK.md).
 * Import maplibre from here, never directly, so the worker URL is always set first.
 */
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';

maplibregl.setWorkerUrl(workerUrl);

export { maplibregl };
export type { Map as MapLibreMap, StyleSpecification } from 'maplibre-gl';
