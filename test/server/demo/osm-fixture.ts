/** Minimal reader for the generator's own OSM XML (one element per line) — for tests, not a general parser. */
export interface OsmNode { id: number; lon: number; lat: number; tags: Record<string, string> }
export interface OsmWay { id: number; refs: number[]; tags: Record<string, string> }

export function readOsm(xml: string): { nodes: Map<number, OsmNode>; ways: OsmWay[] } {
  const nodes = new Map<number, OsmNode>();
  const ways: OsmWay[] = [];
  let cur: { tags: Record<string, string> } | null = null;
  let way: OsmWay | null = null;
  for (const line of xml.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^<node id="(\d+)" version="1" lat="([-\d.]+)" lon="([-\d.]+)"(\/?)>$/.exec(line))) {
      const n: OsmNode = { id: Number(m[1]), lat: Number(m[2]), lon: Number(m[3]), tags: {} };
      if (nodes.has(n.id)) throw new Error(`duplicate node ${n.id}`);
      nodes.set(n.id, n);
      cur = m[4] ? null : n;
    } else if ((m = /^<way id="(\d+)" version="1">$/.exec(line))) {
      way = { id: Number(m[1]), refs: [], tags: {} };
      ways.push(way);
      cur = way;
    } else if ((m = /^ {2}<nd ref="(\d+)"\/>$/.exec(line))) {
      way!.refs.push(Number(m[1]));
    } else if ((m = /^ {2}<tag k="([^"]*)" v="([^"]*)"\/>$/.exec(line))) {
      cur!.tags[m[1]!] = m[2]!;
    } else if (line === '</node>' || line === '</way>') {
      cur = null;
      way = null;
    }
  }
  return { nodes, ways };
}

export const WALKABLE = new Set([
  'primary', 'secondary', 'tertiary', 'residential', 'unclassified', 'living_street', 'service', 'footway',
  'pedestrian', 'path', 'steps',
]);
export const isWalkable = (w: OsmWay) => WALKABLE.has(w.tags.highway ?? '') && w.tags.area !== 'yes';
