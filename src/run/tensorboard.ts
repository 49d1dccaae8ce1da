// TensorBoard event files for a run (`RUN/tb/`), so its curves show where PyTorch users look at curves (TensorBoard,
// and W&B or Aim, which read the same files). An events file is a sequence of TFRecords (tfrecord.ts), each one an
// `Event` protobuf, written as TensorBoard's own EventFileWriter does (tensorboard/summary/writer/event_file_writer.py):
//   Event      { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5;
//                SessionLog session_log = 7; SourceMetadata source_metadata = 10; }
//   Summary    { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
//   SessionLog { SessionStatus status = 1; }  (START = 1)        SourceMetadata { string writer = 1; }
// (tensorboard/compat/proto/event.proto and summary.proto). The first event carries file_version "brain.Event:2" and
// names cover as the writer, which is how a run folder tells its own tb/ from a user's. Events are appended as the run
// goes, each written through to the file, so TensorBoard shows a run while it trains and a kill loses nothing.
//
// A resumed run writes a second file in the same folder, starting with a SessionLog START at the first step it trains
// again: TensorBoard (EventAccumulator, purge_orphaned_data) then drops the earlier file's events from that step on,
// exactly as log.jsonl's lines after the checkpoint are dropped and written again.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileError } from '../errors';
import { bytesField, doubleField, floatField, frameRecord, varintField } from './tfrecord';

/** What TensorBoard's readers expect in the first event of a file. */
export const FILE_VERSION = 'brain.Event:2';
/** Event.source_metadata.writer of cover's files. */
export const WRITER = 'cover';
/** TensorBoard's loaders take the files whose name holds "tfevents"; its writers name them this way. */
export const EVENTS_PREFIX = 'events.out.tfevents.';
/** SessionLog.SessionStatus.START: readers drop the events at and after its step that came before it. */
const SESSION_START = 1;

/** The fields of one Event cover writes; exactly one of fileVersion, scalars and restart is given. */
export interface EventFields {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars?: Record<string, number>;
  restart?: boolean;
}

/** One Event message's bytes (not yet framed). */
export function encodeEvent(e: EventFields): Buffer {
  const parts = [doubleField(1, e.wallTime), varintField(2, e.step)];
  if (e.fileVersion !== undefined) parts.push(bytesField(3, e.fileVersion));
  if (e.scalars) {
    const values = Object.entries(e.scalars).map(([tag, v]) => bytesField(1, Buffer.concat([bytesField(1, tag), floatField(2, v)])));
    parts.push(bytesField(5, Buffer.concat(values)));
  }
  if (e.restart) parts.push(bytesField(7, varintField(1, SESSION_START)));
  if (e.fileVersion !== undefined) parts.push(bytesField(10, bytesField(1, WRITER)));
  return Buffer.concat(parts);
}

/** The bytes of the source_metadata field only cover's first events hold. */
const WRITER_MARK = bytesField(10, bytesField(1, WRITER));

/** The file name TensorBoard's writers use: events.out.tfevents.<seconds, 10 digits>.<host>.<pid>.<count>. */
let fileCount = 0;
function eventsFileName(now: number): string {
  return `${EVENTS_PREFIX}${String(Math.floor(now / 1000)).padStart(10, '0')}.${os.hostname()}.${process.pid}.${fileCount++}`;
}

export interface OpenOptions {
  /** A resumed run: the first step it writes again (events of the earlier files from this step on are dropped). */
  restartAt?: number;
  /** Milliseconds since the epoch; the file's name and first event's time (tests). */
  now?: number;
}

/**
 * Writes one events file in `dir` (created when missing); every call writes through to the file.
 *
 * @example
 * const tb = TensorBoardWriter.open('runs/a/tb');
 * tb.scalar('train/loss', 2.31, 1);
 * tb.close(); // runs/a/tb/events.out.tfevents.1718000000.host.4242.0
 */
export class TensorBoardWriter {
  private constructor(
    readonly file: string,
    private fd: number | null,
  ) {}

  static open(dir: string, opts: OpenOptions = {}): TensorBoardWriter {
    const now = opts.now ?? Date.now();
    const file = path.join(dir, eventsFileName(now));
    let fd: number;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fd = fs.openSync(file, 'a');
    } catch (err) {
      throw fileError(err, file, 'create the TensorBoard events file');
    }
    const w = new TensorBoardWriter(file, fd);
    w.write({ wallTime: now / 1000, step: 0, fileVersion: FILE_VERSION });
    if (opts.restartAt !== undefined) w.write({ wallTime: now / 1000, step: opts.restartAt, restart: true });
    return w;
  }

  /** One scalar at `step`; `wallTime` in seconds since the epoch (now when not given). */
  scalar(tag: string, value: number, step: number, wallTime = Date.now() / 1000): void {
    this.scalars({ [tag]: value }, step, wallTime);
  }

  /** Several scalars of one step, in one event. */
  scalars(values: Record<string, number>, step: number, wallTime = Date.now() / 1000): void {
    if (Object.keys(values).length > 0) this.write({ wallTime, step, scalars: values });
  }

  /** The scalars of one log.jsonl entry (`scalarsOfLogEntry`), when it has any. */
  logEntry(entry: object): void {
    const s = scalarsOfLogEntry(entry);
    if (s) this.scalars(s.values, s.step, s.wallTime);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fs.closeSync(fd);
    } catch (err) {
      throw fileError(err, this.file, 'close the TensorBoard events file');
    }
  }

  private write(e: EventFields): void {
    if (this.fd === null) throw new Error(`${this.file}: written after close`);
    try {
      fs.writeSync(this.fd, frameRecord(encodeEvent(e)));
    } catch (err) {
      throw fileError(err, this.file, 'append to the TensorBoard events file');
    }
  }
}

interface StepEntry {
  type: 'step';
  step: number;
  loss: number;
  lr: number;
  perHead?: Record<string, number>;
  gradNorm?: number;
  time?: number;
  dataMs?: number;
  stepMs?: number;
}

interface EvalEntry {
  type: 'eval';
  step: number;
  evals?: Record<string, { top1?: number; top5?: number; meanClassAccuracy?: number }>;
}

/**
 * The TensorBoard scalars of a log.jsonl entry, tags grouped with `/`: a step gives train/loss, train/lr,
 * train/grad_norm, train/loss/<head>, time/data_ms and time/step_ms; an evaluation eval/<head>/top1, eval/<head>/top5
 * and, at the final one, eval/<head>/mean_class_acc. Other entries (start, stop) give null.
 */
export function scalarsOfLogEntry(entry: object): { step: number; wallTime: number; values: Record<string, number> } | null {
  const e = entry as StepEntry | EvalEntry | { type?: unknown; step?: unknown };
  if (typeof e.step !== 'number') return null;
  const values: Record<string, number> = {};
  const put = (tag: string, v: unknown) => {
    if (typeof v === 'number') values[tag] = v;
  };
  if (e.type === 'step') {
    const s = e as StepEntry;
    put('train/loss', s.loss);
    put('train/lr', s.lr);
    put('train/grad_norm', s.gradNorm);
    for (const [head, v] of Object.entries(s.perHead ?? {})) put(`train/loss/${head}`, v);
    put('time/data_ms', s.dataMs);
    put('time/step_ms', s.stepMs);
    return { step: s.step, wallTime: (s.time ?? Date.now()) / 1000, values };
  }
  if (e.type === 'eval') {
    for (const [head, m] of Object.entries((e as EvalEntry).evals ?? {})) {
      put(`eval/${head}/top1`, m.top1);
      put(`eval/${head}/top5`, m.top5);
      put(`eval/${head}/mean_class_acc`, m.meanClassAccuracy);
    }
    return { step: e.step, wallTime: Date.now() / 1000, values };
  }
  return null;
}

/**
 * Whether `dir` (a run's tb/) holds only events files cover wrote: each named events.out.tfevents.* and opening with
 * cover's first event. An empty folder is cover's too (a run killed just after making it).
 */
export function isOwnEventsFolder(dir: string): boolean {
  try {
    if (!fs.statSync(dir).isDirectory()) return false;
    return fs.readdirSync(dir).every((name) => {
      if (!name.startsWith(EVENTS_PREFIX)) return false;
      const fd = fs.openSync(path.join(dir, name), 'r');
      try {
        const head = Buffer.alloc(256);
        const n = fs.readSync(fd, head, 0, head.length, 0);
        return n === 0 || head.subarray(0, n).includes(WRITER_MARK);
      } finally {
        fs.closeSync(fd);
      }
    });
  } catch {
    return false;
  }
}
