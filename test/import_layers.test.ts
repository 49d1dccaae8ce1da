// No top-level folder of src/ imports one that imports it back, directly or through others (docs/notes/style.md): the imports of
// every src/**/*.ts file (type-only ones included) make a graph between folders, which must have no cycle. Files at
// the top of src/ (errors.ts, version.ts, index.ts) are their own nodes.
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.resolve(__dirname, '../src');

/**
 * A cycle between folders that is older than this test, with the reason it is still there. None is left: the last one,
 * engine -> model -> engine, went when the model's memory plan moved to model/memory.ts (issue 22); the model imports
 * engine/fused.ts and nothing in engine/ imports model/.
 */
const KNOWN: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `train`, or `errors.ts` for a file at the top of src/. */
function node(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0];
}

/** folder -> folder -> the imports that make the edge (`file: specifier`). */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']*)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]);
      if (!target.startsWith(SRC + path.sep)) continue;
      const from = node(file);
      const to = node(fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, 'index.ts') : `${target}.ts`);
      if (from === to) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      edges.set(to, [...(edges.get(to) ?? []), `${path.relative(SRC, file)}: ${m[1]}`]);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** Every elementary cycle, each written from its smallest node: `a -> b -> a`. */
function cycles(graph: Map<string, Map<string, string[]>>): string[] {
  const nodes = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((e) => [...e.keys()])])].sort();
  const found = new Set<string>();
  const walk = (start: string, at: string, trail: string[]): void => {
    for (const next of graph.get(at)?.keys() ?? []) {
      if (next === start) found.add([...trail, start].join(' -> '));
      else if (next > start && !trail.includes(next)) walk(start, next, [...trail, next]);
    }
  };
  for (const n of nodes) walk(n, n, [n]);
  return [...found].sort();
}

test('the graph sees real imports (train imports eval and run; eval and report import run, not train; model imports engine/fused.ts and engine/backprop.ts only)', () => {
  const g = folderGraph();
  expect(g.get('train')?.has('eval')).toBe(true);
  expect(g.get('train')?.has('run')).toBe(true);
  expect(g.get('eval')?.has('run')).toBe(true);
  expect(g.get('report')?.has('run')).toBe(true);
  expect(g.get('eval')?.has('train')).toBe(false);
  expect(g.get('report')?.has('train')).toBe(false);
  expect(g.get('engine')?.has('train')).toBe(false);
  // The model reaches the engine through two backend-free files only, never the backends behind them: the fused-op
  // contract, and the backward pass that frees as it goes (block recompute differentiates a block with it).
  expect(g.get('model')?.get('engine')?.map((e) => e.split(': ')[1])).toEqual(expect.arrayContaining(['../engine/fused', '../engine/backprop']));
  expect(g.get('model')?.get('engine')?.filter((e) => !e.endsWith(': ../engine/fused') && !e.endsWith(': ../engine/backprop'))).toEqual([]);
  expect(g.get('engine')?.has('model')).toBe(false);
});

test('no folder of src/ imports one that imports it back', () => {
  const g = folderGraph();
  const all = cycles(g);
  const unexplained = all
    .filter((c) => !(c in KNOWN))
    .map((c) => {
      const hops = c.split(' -> ');
      return `${c}\n${hops.slice(1).map((to, i) => `    ${hops[i]} -> ${to}: ${g.get(hops[i])!.get(to)![0]}`).join('\n')}`;
    });
  expect(unexplained).toEqual([]);
  // A known cycle that is gone must leave the list too, so that it cannot come back unnoticed.
  expect(Object.keys(KNOWN).filter((c) => !all.includes(c))).toEqual([]);
});
