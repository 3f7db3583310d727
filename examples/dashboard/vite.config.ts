import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// `vite build` writes the client to dist/, which server/main.ts serves beside the sync WebSocket.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
})
