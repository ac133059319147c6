/** A stand-in for web/src/planner/drawing.ts (terra-draw needs a real map): records what the app asks for and
 *  lets a test "draw" by calling the callbacks the app registered. */
import type { Point, Polygon, Position } from 'geojson';
import type { DraftFeature } from '../../../web/src/planner/draft.ts';

export const drawings: FakeDrawing[] = [];

export class FakeDrawing {
  mode = 'static';
  synced: DraftFeature[] = [];
  selected: string | null = null;
  snapTargets: Position[] = [];
  destroyed = false;
  constructor(readonly cb: { onDrawn(k: string, g: Polygon | Point, h: 'created' | 'edited'): void; onSelect(k: string | null): void }) {
    drawings.push(this);
  }
  setMode(m: string) {
    this.mode = m;
  }
  sync(fs: DraftFeature[]) {
    this.synced = fs;
  }
  select(k: string | null) {
    this.selected = k;
  }
  setSnapTargets(p: Position[]) {
    this.snapTargets = p;
  }
  destroy() {
    this.destroyed = true;
  }
}

let n = 0;
export function drawingModule() {
  return {
    SNAP_PX: 12,
    createDrawing: (_map: unknown, cb: FakeDrawing['cb']) => new FakeDrawing(cb),
    outlineVertices: (gs: unknown[]) => gs.flatMap((g: any) => (g?.type === 'Point' ? [g.coordinates] : g?.type === 'Polygon' ? g.coordinates[0] : g?.type === 'MultiPolygon' ? g.coordinates[0][0] : [])),
    newId: () => `new-test-${++n}`,
  };
}
