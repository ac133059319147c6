/**
 * A streaming reader for OpenStreetMap XML (.osm): reads the file in chunks, so the file's size is not limited by
 * the largest JS string, and reports every problem with the file name and line number. A truncated file (an
 * element or <osm> left open at the end) is an error. osm-read's XML path is not used because it reads the whole
 * file into one string and, on a truncated file, calls neither its end nor its error callback.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface RawNode { id: number; lat: number; lon: number; tags: Record<string, string> }
export interface RawWay { id: number; refs: number[]; tags: Record<string, string> }
export interface RawMember { type: 'node' | 'way' | 'relation'; ref: number; role: string }
export interface RawRelation { id: number; members: RawMember[]; tags: Record<string, string> }

export interface OsmHandlers {
  node(n: RawNode): void;
  way(w: RawWay): void;
  relation(r: RawRelation): void;
  /** bytes read so far, for progress */
  progress?(bytes: number): void;
}

export class OsmFileError extends Error {
  constructor(readonly file: string, readonly place: string, detail: string) {
    super(`${file}: ${place}: ${detail}`);
    this.name = 'OsmFileError';
  }
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITY[e] ?? m;
  });
}

const ATTR = /\s*([A-Za-z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

function parseAttrs(s: string, fail: (msg: string) => never): Record<string, string> {
  const out: Record<string, string> = {};
  ATTR.lastIndex = 0;
  let pos = 0;
  for (;;) {
    ATTR.lastIndex = pos;
    const m = ATTR.exec(s);
    if (!m) break;
    const v = m[2] ?? m[3];
    if (v.includes('<')) fail(`'<' inside attribute ${m[1]}`);
    out[m[1]] = decodeEntities(v);
    pos = ATTR.lastIndex;
  }
  if (s.slice(pos).trim() !== '') fail(`malformed attributes near "${s.slice(pos, pos + 40).trim()}"`);
  return out;
}

/** Index just past the '>' closing the tag that starts at `start` ('<'), honouring quotes; -1 if not in `buf`. */
function tagEnd(buf: string, start: number): number {
  let q = '';
  for (let i = start + 1; i < buf.length; i++) {
    const c = buf.charCodeAt(i);
    if (q) {
      if (c === q.charCodeAt(0)) q = '';
    } else if (c === 34 /* " */ || c === 39 /* ' */) q = buf[i];
    else if (c === 62 /* > */) return i + 1;
    else if (c === 60 /* < */) return -2; // a '<' before the tag closed: malformed
  }
  return -1;
}

export async function readOsmXml(file: string, h: OsmHandlers, label = file): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let buf = '';
  let line = 1; // line number at buf[0]
  let bytes = 0;
  const stack: string[] = [];
  let rootSeen = false;
  let rootClosed = false;
  type Cur = { kind: 'node' | 'way' | 'relation'; id: number; lat: number; lon: number; tags: Record<string, string>; refs: number[]; members: RawMember[]; skip: boolean; line: number };
  let cur: Cur | null = null;

  // newline counting is incremental: positions asked for only grow between buffer shifts
  let lnPos = 0;
  let lnLine = 1;
  const lineAt = (i: number) => {
    if (i < lnPos) { lnPos = 0; lnLine = line; }
    for (let k = buf.indexOf('\n', lnPos); k !== -1 && k < i; k = buf.indexOf('\n', k + 1)) lnLine++;
    lnPos = i;
    return lnLine;
  };
  let elemLine = 1;
  const fail = (msg: string): never => {
    throw new OsmFileError(label, `line ${elemLine}${cur ? ` (${cur.kind} ${cur.id})` : ''}`, msg);
  };
  const num = (a: Record<string, string>, k: string, what: string): number => {
    const v = a[k];
    const n = v === undefined ? NaN : Number(v);
    if (!Number.isFinite(n) || v.trim() === '') fail(`${what} has no valid ${k} (${JSON.stringify(v ?? null)})`);
    return n;
  };

  const open = (name: string, a: Record<string, string>, selfClosing: boolean) => {
    if (!rootSeen) {
      if (name !== 'osm') fail(`expected <osm> as the root element, found <${name}>`);
      rootSeen = true;
      if (selfClosing) rootClosed = true;
      else stack.push(name);
      return;
    }
    if (rootClosed) fail(`element <${name}> after </osm>`);
    if (name === 'node' || name === 'way' || name === 'relation') {
      if (cur) fail(`<${name}> inside <${cur.kind}>`);
      const id = num(a, 'id', `<${name}>`);
      if (!Number.isInteger(id)) fail(`<${name}> id ${a.id} is not an integer`);
      cur = { kind: name, id, lat: 0, lon: 0, tags: {}, refs: [], members: [], skip: a.action === 'delete' || a.visible === 'false', line: elemLine };
      if (name === 'node' && !cur.skip) {
        cur.lat = num(a, 'lat', `node ${id}`);
        cur.lon = num(a, 'lon', `node ${id}`);
        if (Math.abs(cur.lat) > 90 || Math.abs(cur.lon) > 180) fail(`node ${id} has coordinates out of range (${cur.lat}, ${cur.lon})`);
      }
      if (selfClosing) close(name);
      else stack.push(name);
      return;
    }
    if (cur) {
      if (name === 'tag') {
        if (a.k === undefined || a.v === undefined) fail('<tag> without k or v');
        cur.tags[a.k] = a.v;
      } else if (name === 'nd') {
        if (cur.kind !== 'way') fail('<nd> outside a way');
        cur.refs.push(num(a, 'ref', '<nd>'));
      } else if (name === 'member') {
        if (cur.kind !== 'relation') fail('<member> outside a relation');
        const t = a.type;
        if (t !== 'node' && t !== 'way' && t !== 'relation') fail(`<member> with type ${JSON.stringify(t ?? null)}`);
        cur.members.push({ type: t as RawMember['type'], ref: num(a, 'ref', '<member>'), role: a.role ?? '' });
      }
    }
    if (!selfClosing) stack.push(name);
  };

  const close = (name: string) => {
    if (cur && name === cur.kind) {
      const c: Cur = cur;
      cur = null;
      if (c.skip) return;
      if (c.kind === 'node') h.node({ id: c.id, lat: c.lat, lon: c.lon, tags: c.tags });
      else if (c.kind === 'way') h.way({ id: c.id, refs: c.refs, tags: c.tags });
      else h.relation({ id: c.id, members: c.members, tags: c.tags });
    }
  };

  const consume = (final: boolean) => {
    let pos = 0;
    for (;;) {
      const lt = buf.indexOf('<', pos);
      const textEnd = lt === -1 ? buf.length : lt;
      if (textEnd > pos && buf.slice(pos, textEnd).trim() !== '') {
        if (lt !== -1 || final) {
          elemLine = lineAt(pos);
          fail(`unexpected text "${buf.slice(pos, Math.min(textEnd, pos + 40)).trim()}"`);
        }
      }
      if (lt === -1) { pos = buf.length; break; }
      elemLine = lineAt(lt);
      let end: number;
      if (buf.startsWith('<!--', lt)) {
        const e = buf.indexOf('-->', lt + 4);
        end = e === -1 ? -1 : e + 3;
      } else if (buf.startsWith('<?', lt)) {
        const e = buf.indexOf('?>', lt + 2);
        end = e === -1 ? -1 : e + 2;
      } else {
        end = tagEnd(buf, lt);
        if (end === -2) fail('tag not closed before the next "<"');
      }
      if (end === -1) {
        if (final) fail('unexpected end of file inside a tag (truncated file)');
        pos = lt;
        break;
      }
      const raw = buf.slice(lt + 1, end - 1);
      if (raw[0] === '!' || raw[0] === '?') { pos = end; continue; }
      if (raw[0] === '/') {
        const name = raw.slice(1).trim();
        const top = stack.pop();
        if (top !== name) fail(`</${name}> does not close <${top ?? 'nothing'}>`);
        if (name === 'osm' && stack.length === 0) rootClosed = true;
        close(name);
      } else {
        const selfClosing = raw.endsWith('/');
        const body = selfClosing ? raw.slice(0, -1) : raw;
        const m = /^([A-Za-z_][-\w:.]*)/.exec(body);
        if (!m) fail(`malformed tag "<${raw.slice(0, 40)}"`);
        open(m![1], parseAttrs(body.slice(m![1].length), fail), selfClosing);
      }
      pos = end;
    }
    // keep the unconsumed tail; advance the line counter past what was consumed
    line = lineAt(pos);
    buf = buf.slice(pos);
    lnPos = 0;
    lnLine = line;
  };

  try {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      buf += decoder.write(chunk as Buffer);
      consume(false);
      h.progress?.(bytes);
    }
    buf += decoder.end();
    consume(true);
  } catch (e) {
    stream.destroy();
    if (e instanceof OsmFileError) throw e;
    throw new OsmFileError(label, `line ${line}`, (e as Error).message);
  }
  elemLine = line;
  if (!rootSeen) fail('no <osm> element (empty or not an OSM XML file)');
  if (!rootClosed || stack.length) {
    const open = cur ? `${(cur as Cur).kind} ${(cur as Cur).id} opened at line ${(cur as Cur).line}` : `<${stack.at(-1)}>`;
    throw new OsmFileError(label, `line ${line}`, `unexpected end of file inside ${open} (truncated file)`);
  }
}
