// `cover doctor [--backend] [--threads] [--json]`: renders runDoctor()'s report as tables (or one JSON object).
// Exits 0 when the requested backend works; otherwise prints the report, then the one-line BackendError (exit 3).

import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { doctorFailure, DoctorReport, runDoctor } from '../../engine/doctor';
import { addEngineOptions, EngineOptions, engineRequest, jsonOption } from '../options';
import { intArg, MAX_GEMM_MS } from '../parse';

/** No colours: the output is read in logs and CI as often as in a terminal. */
const PLAIN = { style: { head: [] as string[], border: [] as string[] } };

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** The report as aligned tables and an advice list (pure; the --json output is the report itself). */
export function renderDoctor(r: DoctorReport): string {
  const parts: string[] = [];

  const backends = new Table({ head: ['backend', 'package', 'status', 'details', 'version'], ...PLAIN });
  for (const p of r.backends) {
    backends.push([p.name, p.package, p.active ? 'ACTIVE' : p.available ? 'available' : 'missing', p.reason, p.version ?? '-']);
  }
  parts.push(`Compute backends (auto tries them top to bottom)\n${backends.toString()}`);

  if (r.backend) {
    const b = r.backend;
    const chosen = new Table(PLAIN);
    chosen.push(
      { backend: `${b.name} (${b.package} ${b.version})` },
      { requested: b.requested },
      { threads: String(b.threads) },
      { SIMD: b.name === 'wasm' ? (b.simd ? 'yes' : 'no') : '-' },
      { GPU: b.gpu ? 'yes' : 'no' },
      { 'matMul rate': r.gemm ? `${r.gemm.gflops.toFixed(1)} GFLOP/s (${r.gemm.n}x${r.gemm.n}, ${r.gemm.calls} products in ${r.gemm.ms.toFixed(0)} ms)` : '-' },
    );
    parts.push(`Chosen backend\n${chosen.toString()}`);
  }

  const acc = new Table(PLAIN);
  const a = r.backend?.accel;
  const n = r.native;
  acc.push(
    { status: a?.active ? 'ACTIVE' : n.built ? `built, not in use: ${a?.reason ?? 'no backend'}` : `missing: ${n.error}` },
    { BLAS: n.info ? (n.info.blas === 'none' ? 'none found (built-in gemm)' : `${n.info.blas} (${n.info.blasPath})`) : '-' },
    { threads: n.info ? String(a?.threads ?? n.info.threads) : '-' },
    { 'kernels replaced': a?.active ? `${a.kernels.length} + fused LayerNorm, GELU, attention, optimizer` : '-' },
    { mode: a?.mode ?? '-' },
  );
  parts.push(`Native accelerator (--accel)\n${acc.toString()}`);

  const t = r.torch;
  const tt = new Table(PLAIN);
  tt.push(
    { status: t.status },
    { libtorch: t.version ? `${t.version} (${t.libtorch})` : '-' },
    { source: t.source ?? '-' },
    { CUDA: t.version === null ? '-' : t.cuda ? `yes, ${t.cudaDevices} device${t.cudaDevices === 1 ? '' : 's'}` : 'no (CPU only)' },
    { device: t.device ? `${t.device}, ${t.precision}` : '-' },
    { threads: t.threads === null ? '-' : String(t.threads) },
  );
  if (t.reason) tt.push({ 'why absent': t.reason }, { fix: t.fix ?? '-' });
  parts.push(`libtorch (--backend torch)\n${tt.toString()}`);

  const f = r.ffmpeg;
  const d = r.decoder;
  const ff = new Table(PLAIN);
  ff.push(
    { 'in process': d.info ? `yes: FFmpeg ${d.info.ffmpeg} libraries, ${d.info.workers} worker${d.info.workers === 1 ? '' : 's'}` : `no, one ffmpeg per clip (${d.error})` },
    { 'GPU decode': d.info ? (d.info.hardware.includes('cuda') ? 'this FFmpeg has CUDA (--decode-device cuda)' : 'this FFmpeg has no CUDA') : '-' },
    { ffmpeg: f.ffmpeg ?? 'not found' },
    { source: f.source ?? '-' },
    { version: f.version ?? '-' },
    { ffprobe: f.ffprobe ?? 'not found' },
    { 'looked at': f.tried.join('\n') || '-' },
  );
  parts.push(`Video decoding\n${ff.toString()}`);

  const v = r.versions;
  const ver = new Table(PLAIN);
  ver.push(
    { cover: v.cover },
    { node: v.node },
    { 'tfjs-core': v.tfjsCore },
    { 'tfjs-backend-wasm / cpu': `${v.tfjsBackendWasm} / ${v.tfjsBackendCpu}` },
    { platform: `${v.platform} (${v.arch})` },
    { CPU: `${v.cpus} x ${v.cpuModel}` },
    { memory: gib(v.memoryBytes) },
  );
  parts.push(`Versions\n${ver.toString()}`);

  parts.push(r.advice.length ? `What you can do\n${r.advice.map((a) => `  - ${a}`).join('\n')}` : 'Nothing missing.');
  return `${parts.join('\n\n')}\n`;
}

export function doctorCommand(): Command {
  return addEngineOptions(new Command('doctor'))
    .description('check the compute backends, wasm threads and SIMD, the accelerator, libtorch, the matMul rate, ffmpeg and versions')
    .addOption(new Option('--gemm-ms <ms>', 'how long to time the matMul rate').argParser(intArg('--gemm-ms', { min: 1, max: MAX_GEMM_MS })).default(300))
    .addOption(jsonOption())
    .action(async (opts: EngineOptions & { gemmMs: number; json?: boolean }) => {
      const report = await runDoctor({ ...engineRequest(opts), gemmMs: opts.gemmMs });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report));
      const failure = doctorFailure(report);
      if (failure) throw failure;
    });
}
