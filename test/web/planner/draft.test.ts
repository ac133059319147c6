import { describe, expect, it } from 'vitest';
import type { Polygon } from 'geojson';
import {
  canRedo, canUndo, changes, draftReducer, editablePolygon, emptyDraft, feature, features, loadDraft, MAX_HISTORY, present,
  redoAnnotation, undoAnnotation, type Draft, type DraftAction, type DraftFeature,
} from '../../../web/src/planner/draft.ts';

const square = (x: number, y: number, d = 0.001): Polygon => ({
  type: 'Polygon',
  coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
});
const zone = (key: string, serverId: number | null, name = key): DraftFeature => ({
  key, kind: 'zone', serverId, version: serverId ? 1 : null, geometry: square(120, 31), props: { name, siteIds: [], hazard: null, notes: null },
});
const run = (d: Draft, ...actions: DraftAction[]) => actions.reduce(draftReducer, d);

describe('planner draft (pure actions, iD-style history)', () => {
  it('adds, edits and removes with one undo step each, and redoes them', () => {
    let d = run(emptyDraft(), { type: 'add', feature: zone('new-1', null) });
    d = run(d, { type: 'geometry', key: 'new-1', geometry: square(120.001, 31) });
    d = run(d, { type: 'props', key: 'new-1', props: { name: 'A 区' } });
    expect(feature(d, 'new-1')!.props.name).toBe('A 区');
    expect(undoAnnotation(d)).toEqual({ op: 'props', key: 'new-1', kind: 'zone' });
    d = run(d, { type: 'undo' });
    expect(feature(d, 'new-1')!.props.name).toBe('new-1');
    expect((feature(d, 'new-1')!.geometry as Polygon).coordinates[0][0]).toEqual([120.001, 31]);
    d = run(d, { type: 'undo' }, { type: 'undo' });
    expect(feature(d, 'new-1')).toBeUndefined();
    expect(canUndo(d)).toBe(false);
    expect(redoAnnotation(d)).toEqual({ op: 'add', key: 'new-1', kind: 'zone' });
    d = run(d, { type: 'redo' }, { type: 'redo' }, { type: 'redo' });
    expect(feature(d, 'new-1')!.props.name).toBe('A 区');
    expect(canRedo(d)).toBe(false);
    // removing is undoable too
    d = run(d, { type: 'remove', key: 'new-1' });
    expect(features(d)).toEqual([]);
    d = run(d, { type: 'undo' });
    expect(feature(d, 'new-1')!.props.name).toBe('A 区');
  });

  it('drops the redo tail on a new edit', () => {
    let d = run(emptyDraft(), { type: 'add', feature: zone('a', null) }, { type: 'add', feature: zone('b', null) }, { type: 'undo' });
    expect(canRedo(d)).toBe(true);
    d = run(d, { type: 'props', key: 'a', props: { name: 'x' } });
    expect(canRedo(d)).toBe(false);
    expect(feature(d, 'b')).toBeUndefined();
  });

  it('never mutates earlier states (snapshots are frozen and shared)', () => {
    const d0 = loadDraft([zone('zone-1', 1)]);
    const d1 = run(d0, { type: 'props', key: 'zone-1', props: { name: 'changed' } });
    expect(present(d0)['zone-1'].props.name).toBe('zone-1');
    expect(present(d1)['zone-1'].props.name).toBe('changed');
    expect(Object.isFrozen(present(d1))).toBe(true);
    expect(() => ((present(d1) as any).x = 1)).toThrow();
  });

  it('ignores no-op edits (same geometry, same attributes, unknown keys) and extra undo / redo', () => {
    const d0 = loadDraft([zone('zone-1', 1)]);
    expect(run(d0, { type: 'geometry', key: 'zone-1', geometry: square(120, 31) })).toBe(d0);
    expect(run(d0, { type: 'props', key: 'zone-1', props: { name: 'zone-1' } })).toBe(d0);
    expect(run(d0, { type: 'props', key: 'nope', props: { name: 'x' } })).toBe(d0);
    expect(run(d0, { type: 'undo' })).toBe(d0);
    expect(run(d0, { type: 'redo' })).toBe(d0);
  });

  it('coalesces typing in one field into one step, but not edits of different fields', () => {
    let d = loadDraft([zone('zone-1', 1)]);
    for (const name of ['西', '西区', '西区一']) d = run(d, { type: 'props', key: 'zone-1', props: { name }, coalesce: true });
    expect(d.stack.length).toBe(2);
    d = run(d, { type: 'props', key: 'zone-1', props: { notes: 'n' }, coalesce: true });
    expect(d.stack.length).toBe(3);
    d = run(d, { type: 'undo' }, { type: 'undo' });
    expect(feature(d, 'zone-1')!.props.name).toBe('zone-1');
  });

  it('reports changes against the server: create, modify (which fields), delete', () => {
    let d = loadDraft([zone('zone-1', 1), zone('zone-2', 2)]);
    expect(changes(d)).toEqual([]);
    d = run(
      d,
      { type: 'geometry', key: 'zone-1', geometry: square(120.002, 31) },
      { type: 'remove', key: 'zone-2' },
      { type: 'add', feature: zone('new-1', null) },
    );
    const c = changes(d).map((x) => [x.key, x.op, x.fields.join('+')]);
    expect(c).toEqual([
      ['zone-1', 'modify', 'geometry'],
      ['new-1', 'create', 'geometry+props'],
      ['zone-2', 'delete', ''],
    ]);
    // undoing everything leaves nothing to save
    d = run(d, { type: 'undo' }, { type: 'undo' }, { type: 'undo' });
    expect(changes(d)).toEqual([]);
  });

  it('after a save, the saved record is the base and undo becomes a change against it', () => {
    let d = run(emptyDraft(), { type: 'add', feature: zone('new-1', null) }, { type: 'props', key: 'new-1', props: { name: 'B' } });
    d = run(d, { type: 'saved', key: 'new-1', feature: { ...feature(d, 'new-1')!, serverId: 9, version: 1 } });
    expect(changes(d)).toEqual([]);
    expect(feature(d, 'new-1')!.serverId).toBe(9);
    d = run(d, { type: 'undo' });
    const [c] = changes(d);
    expect(c).toMatchObject({ op: 'modify', fields: ['props'] });
    expect(c.feature).toMatchObject({ serverId: 9, version: 1 }); // PATCH with If-Match "1", not a second POST
    // a deleted record restored by undo is new again
    d = run(d, { type: 'redo' }, { type: 'remove', key: 'new-1' });
    d = run(d, { type: 'saved', key: 'new-1', feature: null });
    expect(changes(d)).toEqual([]);
    d = run(d, { type: 'undo' });
    expect(changes(d)).toMatchObject([{ op: 'create', feature: { serverId: null, version: null } }]);
  });

  it('keeps at most MAX_HISTORY undo steps', () => {
    let d = loadDraft([zone('zone-1', 1)]);
    for (let i = 0; i < MAX_HISTORY + 30; i++) d = run(d, { type: 'props', key: 'zone-1', props: { name: `n${i}` } });
    expect(d.stack.length).toBe(MAX_HISTORY + 1);
    for (let i = 0; i < MAX_HISTORY + 30; i++) d = run(d, { type: 'undo' });
    expect(feature(d, 'zone-1')!.props.name).toBe('n29');
  });

  it('refuses a duplicate key; edits a one-part MultiPolygon as a Polygon', () => {
    const d = loadDraft([zone('zone-1', 1)]);
    expect(() => run(d, { type: 'add', feature: zone('zone-1', null) })).toThrow(/exists/);
    const p = square(1, 2);
    expect(editablePolygon({ type: 'MultiPolygon', coordinates: [p.coordinates] })).toEqual(p);
    expect(editablePolygon({ type: 'MultiPolygon', coordinates: [p.coordinates, p.coordinates] })).toBeNull();
  });
});
