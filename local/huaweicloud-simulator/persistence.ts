/**
 * The simulator's resources in a JSON file, read at start and rewritten on every change: `npm start` keeps
 * DynamoDB Local on disk, and a table that remembers resources the simulator forgot would answer
 * "Unchanged, already created" for resources that no longer exist anywhere.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isKind } from '../../shared/kinds/registry';
import type { SimResource, SimulatorSnapshot } from './state';

/** The file exists but cannot be used; starting over would silently drop resources the table still refers to. */
class SimulatorStateFileError extends Error {
  readonly code = 'SIM_STATE_FILE';
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}; delete it (or run npm start -- --reset to start from nothing)`);
    this.name = 'SimulatorStateFileError';
  }
}

const isResource = (value: unknown): value is SimResource => {
  const r = value as Partial<SimResource> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    isKind(r.kind) &&
    typeof r.id === 'string' &&
    typeof r.createdAt === 'number' &&
    typeof r.durationMs === 'number'
  );
};

/** The saved snapshot, or undefined when there is none yet. */
export function readSnapshot(file: string): SimulatorSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SimulatorStateFileError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SimulatorStateFileError(file, 'is not JSON');
  }
  const snapshot = data as Partial<SimulatorSnapshot> | null;
  if (snapshot?.version !== 1 || !Array.isArray(snapshot.resources) || !snapshot.resources.every(isResource)) {
    throw new SimulatorStateFileError(file, 'is not a version 1 simulator snapshot');
  }
  return snapshot as SimulatorSnapshot;
}

/** Written next to the file and renamed over it, so a crash mid-write leaves the previous snapshot whole. */
export function writeSnapshot(file: string, snapshot: SimulatorSnapshot): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(snapshot)}\n`);
  renameSync(partial, file);
}
