import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The UI is built into dist/web/ of the checkout; the API serves it (services/api/routes/web-ui.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../../dist/web/', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: { proxy: { '/api': process.env.ZEROOPS_API_URL ?? 'http://127.0.0.1:8080' } },
});
