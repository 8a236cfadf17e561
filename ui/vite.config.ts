import { defineConfig } from 'vitest/config';

// Tauri loads dist/ from disk (relative base) and, in development, the dev server on a fixed
// port (tauri.conf.json: build.devUrl = http://localhost:1420, build.frontendDist = ../ui/dist).
export default defineConfig({
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Linux), WebView2 (Windows), WKWebView (macOS 13+).
    target: ['es2022', 'safari16', 'chrome110'],
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
});
