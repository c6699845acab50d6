// Vite build of the admin dashboard (tools/build-dashboard.mjs runs it; `npm run build` calls
// that). The control plane serves the output at /admin/, so every URL is based there.
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

export default defineConfig({
  root: here,
  base: '/admin/',
  plugins: [react()],
  resolve: {
    // The dashboard imports only browser-safe libraries (libs/contracts: zod schemas).
    alias: { '@gnomon/contracts': path.join(root, 'libs/contracts/src/index.ts') },
  },
  build: {
    outDir: path.join(root, 'dist/admin-dashboard'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // No inline data: URIs for assets: the CSP allows 'self' only.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
