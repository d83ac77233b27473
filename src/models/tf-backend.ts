/**
 * TensorFlow.js backend selection: the wasm backend (shipped inside the npm package, runs the same on a Pi),
 * its .wasm binaries located through assets.ts so the single executable can serve them; the pure-JS cpu
 * backend when wasm cannot start, with one log line saying why.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { assetPath } from '../assets.js';

let ready: Promise<string> | undefined;

/**
 * Initialise TensorFlow.js once per thread; resolves to the backend in use ('wasm' or 'cpu').
 * `log` receives the fallback message; `wasmDir` overrides where the .wasm files are (tests).
 */
export function initTf(log: (msg: string) => void = (m) => process.stderr.write(m + '\n'), wasmDir?: string): Promise<string> {
  ready ??= (async () => {
    try {
      const dir = wasmDir ?? assetPath('node_modules/@tensorflow/tfjs-backend-wasm/dist/');
      // only the single-threaded binaries: threads would make training results depend on scheduling
      setWasmPaths({
        'tfjs-backend-wasm.wasm': `${dir}/tfjs-backend-wasm.wasm`.replace(/\/+/g, '/'),
        'tfjs-backend-wasm-simd.wasm': `${dir}/tfjs-backend-wasm-simd.wasm`.replace(/\/+/g, '/'),
        'tfjs-backend-wasm-threaded-simd.wasm': `${dir}/tfjs-backend-wasm-simd.wasm`.replace(/\/+/g, '/'),
      });
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return tf.getBackend();
      }
      log('models: the TensorFlow.js wasm backend did not start; using the slower cpu backend');
    } catch (err) {
      log(`models: the TensorFlow.js wasm backend failed (${(err as Error).message}); using the slower cpu backend`);
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return tf.getBackend();
  })();
  return ready;
}

export { tf };
