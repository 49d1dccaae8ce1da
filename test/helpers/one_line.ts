// The one line a refused call gives: awaits `p`, expects it to fail with a CoverError of `kind`, and returns that error's
// line (without a newline in it).
import { CoverError } from '../../src/errors';

export async function refusalLine(p: Promise<unknown>, kind: abstract new (...args: never[]) => CoverError): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(kind);
  const line = (err as CoverError).oneLine();
  expect(line).not.toContain('\n');
  return line;
}
