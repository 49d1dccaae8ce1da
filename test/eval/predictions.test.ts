// predictions.csv: every val clip's verdict written by class name, quoted where a name needs it, and read back as each
// clip's correctness per head; a missing file or one cover did not write reads as none.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MetricAccumulator } from '../../src/eval/metrics';
import { predictionsCsv, readPredictions } from '../../src/eval/predictions';

test('write and read back: names quoted, one row per clip, correctness as the accumulator scores it', () => {
  const acc = new MetricAccumulator(['run', 'jump, high']);
  acc.accumulate(0, [2, 1], 0);
  acc.accumulate(1, [0, 4], 0);
  acc.accumulate(1, [3, 0], 0); // summed over views: [3, 4] predicts 'jump, high'
  acc.accumulate(2, [Number.NaN, 1], 1);
  expect(acc.predictions()).toEqual([
    { id: 0, label: 0, predicted: 0, correct: true },
    { id: 1, label: 0, predicted: 1, correct: false },
    { id: 2, label: 1, predicted: 1, correct: true },
  ]);
  const perClass = acc.labels.map((label) => ({ label }));
  const clips = acc.predictions().map((p, i) => ({ clip: ['run/a.mp4', 'run/b, 2.mp4', 'jump/c.mp4'][i], label: p.label, predicted: p.predicted, correct: p.correct }));
  const csv = predictionsCsv([{ head: 'k400', perClass, clips }, { head: 'imnet', perClass, clips: clips.slice(0, 1) }]);
  expect(csv).toBe(
    'head,clip,label,predicted,correct\nk400,run/a.mp4,run,run,1\nk400,"run/b, 2.mp4",run,"jump, high",0\nk400,jump/c.mp4,"jump, high","jump, high",1\nimnet,run/a.mp4,run,run,1\n',
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-predictions-'));
  const file = path.join(dir, 'predictions.csv');
  fs.writeFileSync(file, csv);
  const back = readPredictions(file)!;
  expect([...back.get('k400')!]).toEqual([['run/a.mp4', true], ['run/b, 2.mp4', false], ['jump/c.mp4', true]]);
  expect([...back.get('imnet')!]).toEqual([['run/a.mp4', true]]);
  expect(readPredictions(path.join(dir, 'none.csv'))).toBeNull();
  fs.writeFileSync(file, 'clip,score\na,1\n');
  expect(() => readPredictions(file)).toThrow(/not a predictions file: its first line is not 'head,clip,label,predicted,correct'/);
  fs.writeFileSync(file, 'head,clip,label,predicted,correct\nk400,run/a.mp4,run,run,1\nk400,run/b.mp4,run\n');
  expect(() => readPredictions(file)).toThrow(/line 3 is not head,clip,label,predicted,correct/);
  fs.rmSync(dir, { recursive: true, force: true });
});
