/** Minimal types for osm-read 0.7 (the package ships none): only what the importer and its tests use. */
declare module 'osm-read' {
  interface ParseOptions {
    filePath?: string;
    format?: 'xml' | 'pbf';
    node?: (n: any) => void;
    way?: (w: any) => void;
    relation?: (r: any) => void;
    bounds?: (b: any) => void;
    endDocument?: () => void;
    error?: (e: unknown) => void;
  }
  const osmread: { parse(opts: ParseOptions): { pause(): void; resume(): void } };
  export default osmread;
}
