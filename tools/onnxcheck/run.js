#!/usr/bin/env node
// Runs an ONNX model in onnxruntime-node (CPU execution provider) on one
// float32 input and writes every output as a float32 .npy file.
//
//   node run.js MODEL.onnx INPUT.npy OUTDIR
//   node run.js MODEL.onnx INPUT.f32 OUTDIR --shape 2,3,8,8   (raw little-endian float32)
//   --no-opt   turn onnxruntime's graph optimizations (e.g. Conv+BN fusion) off
//
// Outputs go to OUTDIR/<output name>.npy; a line per output is printed.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || !/'fortran_order':\s*False/.test(header)) {
    throw new Error(`${file}: only little-endian float32 C-order arrays are supported: ${header}`);
  }
  const m = /'shape':\s*\(([^)]*)\)/.exec(header);
  const shape = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const n = shape.reduce((a, d) => a * d, 1);
  const off = start + hlen;
  if (b.length !== off + 4 * n) throw new Error(`${file}: ${b.length - off} data bytes for shape ${shape}`);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = b.readFloatLE(off + 4 * i);
  return { shape, data };
}

function writeNpy(file, shape, data) {
  const repr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${repr}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict += ' '.repeat(total - 10 - dict.length - 1) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  const body = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(dict, 'latin1'), body]));
}

async function main() {
  const args = process.argv.slice(2);
  const si = args.indexOf('--shape');
  let shapeArg = null;
  const noOpt = args.indexOf('--no-opt');
  if (noOpt >= 0) args.splice(noOpt, 1);
  if (si >= 0) {
    shapeArg = args[si + 1].split(',').map(Number);
    args.splice(si, 2);
  }
  if (args.length !== 3) {
    console.error('usage: node run.js MODEL.onnx INPUT.npy|INPUT.f32 OUTDIR [--shape d0,d1,...]');
    process.exit(2);
  }
  const [model, input, outdir] = args;
  let x;
  if (shapeArg) {
    const b = fs.readFileSync(input);
    const data = new Float32Array(b.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = b.readFloatLE(4 * i);
    x = { shape: shapeArg, data };
  } else {
    x = readNpy(input);
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: noOpt >= 0 ? 'disabled' : 'all' });
  if (session.inputNames.length !== 1) throw new Error(`${model}: ${session.inputNames.length} inputs, want 1`);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) };
  const out = await session.run(feeds);
  fs.mkdirSync(outdir, { recursive: true });
  for (const name of session.outputNames) {
    const t = out[name];
    const file = path.join(outdir, `${name}.npy`);
    writeNpy(file, t.dims.map(Number), t.data);
    console.log(`${path.basename(model)}: ${name} [${t.dims.join(',')}] -> ${file}`);
  }
}

main().catch((e) => {
  console.error(`run.js: ${e.message || e}`);
  process.exit(1);
});
