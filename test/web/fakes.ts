/** Fakes for maplibre-gl and @deck.gl/maplibre in jsdom, recording calls for assertions. */
type Handler = (...a: unknown[]) => void;

export const maps: FakeMap[] = [];
export const overlays: FakeOverlay[] = [];

export class FakeMap {
  options: any;
  handlers = new Map<string, Handler[]>();
  layout = new Map<string, Record<string, unknown>>();
  fitted: unknown[] = [];
  controls: unknown[] = [];
  sourceData = new Map<string, unknown>();
  removed = false;
  styleLoaded = false;
  canvas = document.createElement('canvas');
  constructor(options: any) {
    this.options = options;
    maps.push(this);
    setTimeout(() => {
      this.styleLoaded = true;
      this.fire('load');
    }, 0);
  }
  fire(ev: string, arg?: unknown) {
    const hs = this.handlers.get(ev) ?? [];
    this.handlers.set(ev, hs.filter((h) => !(h as any).once));
    for (const h of hs) h(arg);
  }
  on(ev: string, h: Handler) {
    this.handlers.set(ev, [...(this.handlers.get(ev) ?? []), h]);
    return this;
  }
  once(ev: string, h: Handler) {
    (h as any).once = true;
    return this.on(ev, h);
  }
  addControl(c: any) {
    this.controls.push(c);
    if (c instanceof FakeOverlay) c.map = this;
    return this;
  }
  getCanvas() {
    return this.canvas;
  }
  isStyleLoaded() {
    return this.styleLoaded;
  }
  loaded() {
    return this.styleLoaded;
  }
  getStyle() {
    return this.options.style;
  }
  getLayer(id: string) {
    return this.options.style.layers.find((l: any) => l.id === id);
  }
  setLayoutProperty(id: string, k: string, v: unknown) {
    this.layout.set(id, { ...this.layout.get(id), [k]: v });
  }
  getSource(id: string) {
    return this.options.style.sources[id] ? { setData: (d: unknown) => this.sourceData.set(id, d) } : undefined;
  }
  fitBounds(b: unknown) {
    this.fitted.push(b);
    return this;
  }
  remove() {
    this.removed = true;
  }
}

export class FakeOverlay {
  props: any;
  map?: FakeMap;
  constructor(props: any) {
    this.props = props;
    overlays.push(this);
  }
  setProps(p: any) {
    this.props = { ...this.props, ...p };
  }
}

class Control {
  constructor(public options?: unknown) {}
}

export function maplibreModule() {
  return {
    maplibregl: {
      Map: FakeMap,
      NavigationControl: Control,
      ScaleControl: Control,
      AttributionControl: Control,
      setWorkerUrl: () => {},
    },
  };
}

export function deckMaplibreModule() {
  return { MapLibreOverlay: FakeOverlay };
}

export function resetFakes() {
  maps.length = 0;
  overlays.length = 0;
}
