const { loadCheckpoint } = require('./dist/src/checkpoint/checkpoint');
require('@tensorflow/tfjs-core').env().set('PROD', true);
require('@tensorflow/tfjs-backend-cpu');
(async () => {
  const a = await loadCheckpoint(process.argv[2]); const b = await loadCheckpoint(process.argv[3]);
  let worst = 0, wn = '', D = 0, S = 0, maxabs = 0;
  for (const [n, t] of a.weights) { const x = t.dataSync(), y = b.weights.get(n).dataSync(); let d = 0, s = 0; for (let i = 0; i < x.length; i++) { d += (x[i]-y[i])**2; s += y[i]**2; maxabs = Math.max(maxabs, Math.abs(x[i]-y[i])/Math.max(1,Math.abs(y[i]))); } D += d; S += s; const r = Math.sqrt(d / Math.max(s, 1e-30)); if (r > worst) { worst = r; wn = n; } }
  console.log('worst tensor rel', worst, wn, 'global rel', Math.sqrt(D / S), 'max elem |d|/max(1,|b|)', maxabs);
})();
