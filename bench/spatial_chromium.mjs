// Chromium's HRTF PannerNode, measured like bench/spatial.py measures ours: N looping noise sources
// on circles around the listener (every source moving all the time), rendered continuously by an
// OfflineAudioContext (as fast as the audio thread can; one render quantum = 128 frames at 48 kHz).
// Usage: node bench/spatial_chromium.mjs <seconds> <n> [<n> ...]; prints one JSON line per n:
// {"sources": n, "seconds": s, "render_ms": t, "rtf": t / (1000 s), "aborted": bool}. The offline
// render runs on one audio thread. Timed from 0.5 s of audio on (start-up, when Chromium loads its
// HRTF database, excluded). Bounded: the render is suspended every max(1, seconds / 10) s of audio,
// and once it has taken longer than the whole audio lasts (so it cannot be real time) it stops there
// and reports the rate so far, so a slower-than-real-time trial never costs more than `seconds`.
import { chromium } from 'playwright-core';

const [seconds, ...counts] = process.argv.slice(2).map(Number);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  for (const n of counts) {
    const page = await browser.newPage();  // a fresh page per N: an aborted render dies with it
    const result = await page.evaluate(async ([n, seconds]) => {
      const rate = 48000;
      const ctx = new OfflineAudioContext(2, rate * seconds, rate);
      const noise = ctx.createBuffer(1, rate, rate);
      const samples = noise.getChannelData(0);
      for (let i = 0; i < samples.length; i++) samples[i] = Math.random() * 2 - 1;
      for (let s = 0; s < n; s++) {
        const source = ctx.createBufferSource();
        source.buffer = noise;
        source.loop = true;
        const panner = ctx.createPanner();
        panner.panningModel = 'HRTF';
        // A circle of 1.5 m at 30..90 deg/s, its own start angle; 20 position points a second,
        // ramped linearly in between, so the position changes every render quantum.
        const speed = ((30 + (60 * (s % 7)) / 6) * Math.PI) / 180, phase = s * 2.39996, radius = 1.5;
        const height = 0.5 * Math.sin(s);
        panner.positionY.value = height;
        for (let k = 0; k <= seconds * 20; k++) {
          const t = k / 20, angle = phase + speed * t;
          panner.positionX.linearRampToValueAtTime(radius * Math.sin(angle), t);
          panner.positionZ.linearRampToValueAtTime(-radius * Math.cos(angle), t);
        }
        source.connect(panner).connect(ctx.destination);
        source.start();
      }
      // Timed from the first suspend (0.5 s of audio) to the end: the start-up (Chromium loads
      // its HRTF database when the first panner renders) is not rendering speed.
      let started = 0, from = 0;
      return await new Promise((resolve) => {
        const step = Math.max(1, seconds / 10);  // few suspends: each is a main-thread round trip
        for (let t = 0.5; t < seconds - 1e-9; t += (t === 0.5 ? step - 0.5 : step)) {
          ctx.suspend(t).then(() => {
            const now = performance.now();
            if (t === 0.5) { started = now; from = t; }
            else if (now - started > 1000 * seconds) {
              resolve({ render_ms: now - started, rendered: t - from, aborted: true });
              return;
            }
            ctx.resume();
          });
        }
        ctx.startRendering().then(() => resolve({ render_ms: performance.now() - started,
          rendered: seconds - from, aborted: false }));
      });
    }, [n, seconds]);
    await page.close();
    console.log(JSON.stringify({ sources: n, seconds, render_ms: result.render_ms, aborted: result.aborted,
      rtf: result.render_ms / (1000 * result.rendered) }));
  }
} finally {
  await browser.close();
}
