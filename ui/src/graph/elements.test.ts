/** elements.ts: which edges the layer draws, where their curves start and end, and the box the view is fitted to. */
import { describe, expect, it } from 'vitest';
import { bounds, curves, edgeId, SIZE, type GraphNode } from './elements';

const table = (id: string): GraphNode => ({ id, label: id, kind: 'table' });
const nodes = [table('a'), table('b'), { id: 'g', label: 'g', kind: 'group', count: 3 } as GraphNode];
const positions = { a: { x: 0, y: 0 }, b: { x: 300, y: 100 }, g: { x: 600, y: -50 } };

describe('curves', () => {
  it('draws one curve per pair of drawn nodes: no loops, no repeats, no edge to a node not drawn', () => {
    const drawn = curves(nodes, [
      { from: 'a', to: 'b', label: 't1' }, { from: 'a', to: 'b', label: 't2' }, { from: 'b', to: 'b' },
      { from: 'b', to: 'missing' }, { from: 'b', to: 'g' },
    ], positions);
    expect(drawn.map((c) => c.id)).toEqual([edgeId('a', 'b'), edgeId('b', 'g')]);
    expect(drawn[0].label).toBe('t1');
  });

  it('runs from the middle of the source box right side to the middle of the target box left side', () => {
    const [ab, bg] = curves(nodes, [{ from: 'a', to: 'b' }, { from: 'b', to: 'g' }], positions);
    expect(ab.d.startsWith(`M${SIZE.table.width},${SIZE.table.height / 2}`)).toBe(true);
    expect(ab.d.endsWith(`300,${100 + SIZE.table.height / 2}`)).toBe(true);
    expect(bg.d.endsWith(`600,${-50 + SIZE.group.height / 2}`)).toBe(true); // a group box is taller
    expect(ab.labelX).toBeGreaterThan(SIZE.table.width);
    expect(ab.labelX).toBeLessThan(300);
  });
});

describe('bounds', () => {
  it('holds every box, each at its own size', () => {
    expect(bounds(nodes, positions)).toEqual({ x: 0, y: -50, width: 600 + SIZE.group.width, height: 100 + SIZE.table.height + 50 });
  });
  it('is a unit box for an empty graph', () => {
    expect(bounds([], {})).toEqual({ x: 0, y: 0, width: 1, height: 1 });
  });
});
