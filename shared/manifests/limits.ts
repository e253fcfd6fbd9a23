/** Apart from parse.ts so the HTTP API can cap request bodies without loading the YAML parser. */

/** A source larger than this is rejected before parsing: no manifest comes close, and parsing cost grows with size. */
export const MAX_SOURCE_BYTES = 1024 * 1024;
