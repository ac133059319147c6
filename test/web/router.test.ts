import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../web/src/router.tsx';

describe('routes', () => {
  it('maps the four doors', () => {
    expect(matchRoute('/')).toEqual({ name: 'resident' });
    expect(matchRoute('/planner')).toEqual({ name: 'planner' });
    expect(matchRoute('/planner/')).toEqual({ name: 'planner' });
    expect(matchRoute('/inspector')).toEqual({ name: 'inspector' });
    expect(matchRoute('/building/123')).toEqual({ name: 'building', id: '123' });
    expect(matchRoute('/building/w%2F1')).toEqual({ name: 'building', id: 'w/1' });
    expect(matchRoute('/nope')).toEqual({ name: 'notFound', path: '/nope' });
  });
});
