import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { inTauri, TauriBackend } from './lib/backend';
import { MemoryBackend } from './lib/memory-backend';

// In the app the Tauri backend; in a plain browser (vite dev) an in-memory kiosk.
const backend = inTauri() ? new TauriBackend() : MemoryBackend.ready();
const target = document.getElementById('app');
if (!target) throw new Error('no #app element');
mount(App, { target, props: { backend } });
