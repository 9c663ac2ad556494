// Kiosk lockdown, injected before any page script. A passer-by must not reach
// a context menu, select text, zoom, drag things out, or navigate away.
(() => {
  const stop = (e) => { e.preventDefault(); };
  for (const type of ['contextmenu', 'selectstart', 'dragstart', 'drop', 'gesturestart', 'gesturechange', 'gestureend']) {
    window.addEventListener(type, stop, { capture: true });
  }
  // Pinch-zoom arrives as a multi-touch move or a ctrl+wheel.
  window.addEventListener('touchmove', (e) => { if (e.touches.length > 1) e.preventDefault(); }, { capture: true, passive: false });
  window.addEventListener('wheel', (e) => { if (e.ctrlKey) e.preventDefault(); }, { capture: true, passive: false });
  // Reload, print, find, zoom and view-source shortcuts.
  window.addEventListener('keydown', (e) => {
    const k = e.key.toLowerCase();
    const mod = e.ctrlKey || e.metaKey;
    if (k === 'f5' || k === 'f12' || k === 'f11' || k === 'f3' || (mod && ['r', 'p', 'f', 'g', 'u', 's', 'o', '+', '-', '=', '0'].includes(k))) {
      e.preventDefault();
    }
  }, { capture: true });
  document.documentElement.classList.add('kiosk-locked');
})();
