import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import OfficerApp from './officer/OfficerApp.svelte';
import { inTauri, TauriBackend } from './lib/backend';
import { MemoryBackend } from './lib/memory-backend';
import { TauriOfficerBackend } from './officer/backend';
import { MemoryOfficerBackend } from './officer/memory-backend';

// In the app the Tauri backend; in a plain browser (vite dev) an in-memory kiosk.
const backend = inTauri() ? new TauriBackend() : MemoryBackend.ready();
const target = document.getElementById('app');
if (!target) throw new Error('no #app element');
// The officer laptop's window (officer_window.rs) gets the diary; every other
// window the kiosk. The label is known without an IPC call.
const label = (window as { __TAURI_INTERNALS__?: { metadata?: { currentWindow?: { label?: string } } } })
  .__TAURI_INTERNALS__?.metadata?.currentWindow?.label;
// In a plain browser, `?officer` shows the officer laptop on an in-memory device.
const officer = label === 'officer' || (!inTauri() && new URLSearchParams(location.search).has('officer'));
if (officer) {
  const officerBackend = inTauri() ? new TauriOfficerBackend() : MemoryOfficerBackend.demo();
  mount(OfficerApp, { target, props: { backend: officerBackend } });
} else mount(App, { target, props: { backend } });
