import { describe, expect, it } from 'vitest';
import { directions, turnAngle } from '../../../server/engine/directions.ts';

// ~0.001° of latitude ≈ 111 m; at the equator 0.001° of longitude ≈ 111 m too.
describe('directions', () => {
  it('turns an L-shaped route into walk, turn, arrive', () => {
    const coords = [0, 0, 0, 0.0005, 0, 0.001, 0.001, 0.001]; // north 111 m (two legs), then east 111 m
    const s = directions(coords, '清潭广场');
    expect(s).toHaveLength(3);
    expect(s[0].instruction).toContain('向北');
    expect(s[0].distanceM).toBeCloseTo(111.2, 0);
    expect(s[1].instruction).toMatch(/^向右转，向东步行 111 米/);
    expect(s[1].instructionEn).toMatch(/^Turn right and walk east/);
    expect(s[2].instruction).toBe('到达疏散场所：清潭广场');
  });

  it('keeps slight bends in one step and names left turns', () => {
    const coords = [0, 0, 0.0001, 0.001, 0.0001, 0.002, -0.0009, 0.002];
    const s = directions(coords, 'X');
    expect(s).toHaveLength(3);
    expect(s[1].instruction.startsWith('向左转')).toBe(true);
  });

  it('measures turn angles with sign', () => {
    expect(turnAngle(350, 10)).toBe(20);
    expect(turnAngle(10, 350)).toBe(-20);
    expect(turnAngle(0, 180)).toBe(180);
  });
});
