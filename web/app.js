// Tutti browser client: SIWE sign-in, WebRTC join, personal binaural mix, stage editing.
// State useful to automated tests is mirrored on window.tutti (read-only for the page itself).
// Framed by the Tutti web app (its #/jam route), the page signs in with the app's wallet through
// a postMessage bridge (see appWallet) and hides its own sign-in: one wallet, one sign-in.
import * as secp from './vendor/noble-secp256k1.js';
import { keccak_256 } from './vendor/noble-hashes/sha3.js';
import { listenToRoom } from './listen.js';

const $ = (id) => document.getElementById(id);
const STAGE_RADIUS = 160;      // px: outer ring
const STAGE_METRES = 4;        // the outer ring is this far away
const SEND_INTERVAL_MS = 30;   // at most ~33 placement updates per second while dragging
const enc = new TextEncoder();
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (h) => Uint8Array.from(h.replace(/^0x/, '').match(/../g) || [], (b) => parseInt(b, 16));

const tutti = window.tutti = {
  joined: false, ended: null, error: null, id: null, address: null,
  participants: [], leftRms: 0, rightRms: 0, placements: {},
};
let room = null, pc = null, channel = null, audioCtx = null, lastSent = 0;
const embedded = window.parent !== window;
let wallet = window.ethereum || null;  // an EIP-1193 provider: the browser's, or the app's bridge

// The app that frames this page answers {type: 'tutti-wallet', id, method, params} with
// {type: 'tutti-wallet-result', id, result | error}, asking its connected wallet. The page never
// sees a key, and only the framing window is listened to.
function appWallet() {
  const pending = new Map();
  let nextId = 1;
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || event.data?.type !== 'tutti-wallet-result') return;
    const waiting = pending.get(event.data.id);
    if (!waiting) return;
    pending.delete(event.data.id);
    if (event.data.error) waiting.reject(Object.assign(new Error(event.data.error.message), { code: event.data.error.code }));
    else waiting.resolve(event.data.result);
  });
  return {
    request: ({ method, params = [] }) => new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      window.parent.postMessage({ type: 'tutti-wallet', id, method, params }, '*');
    }),
  };
}

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
  if (isError) tutti.error = text;
}

// ---------------------------------------------------------------- signing (EIP-191 / EIP-4361)
function checksumAddress(lowerHex) {
  const hash = hex(keccak_256(enc.encode(lowerHex)));
  return '0x' + [...lowerHex].map((c, i) => (parseInt(hash[i], 16) >= 8 ? c.toUpperCase() : c)).join('');
}

function devAccount(keyHex) {
  const key = unhex(keyHex);
  if (key.length !== 32) throw new Error('a private key is 32 bytes of hex');
  const publicKey = secp.getPublicKey(key, false).slice(1);
  const address = checksumAddress(hex(keccak_256(publicKey).slice(12)));
  return {
    address,
    async signMessage(text) {  // personal_sign: keccak256("\x19Ethereum Signed Message:\n" + len + msg)
      const body = enc.encode(text);
      const digest = keccak_256(new Uint8Array([...enc.encode(`\x19Ethereum Signed Message:\n${body.length}`), ...body]));
      const [signature, recovery] = await secp.sign(digest, key, { recovered: true, der: false });
      return '0x' + hex(signature) + (27 + recovery).toString(16);
    },
  };
}

async function walletAccount() {
  const [address] = await wallet.request({ method: 'eth_requestAccounts' });
  if (!address) throw new Error(embedded ? 'connect a wallet in the app (top of the page) first' : 'the wallet shared no account');
  const chainId = parseInt(await wallet.request({ method: 'eth_chainId' }), 16);
  if (chainId !== room.chainId) status(`Your wallet is on chain ${chainId}; this room checks passes on chain ${room.chainId}.`, true);
  const checksummed = checksumAddress(address.toLowerCase().replace(/^0x/, ''));
  return {
    address: checksummed,
    signMessage: (text) => wallet.request({ method: 'personal_sign', params: ['0x' + hex(enc.encode(text)), checksummed] }),
  };
}

function siweMessage({ domain, uri, chainId, nonce }, address) {
  return `${domain} wants you to sign in with your Ethereum account:\n${address}\n\n` +
    `Join the Tutti jam session.\n\nURI: ${uri}\nVersion: 1\nChain ID: ${chainId}\n` +
    `Nonce: ${nonce}\nIssued At: ${new Date().toISOString()}`;
}

async function signIn(account) {
  const response = await fetch(`/api/rooms/${room.room}/nonce`);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error);
  const message = siweMessage(body, account.address);
  return { message, signature: await account.signMessage(message) };
}

// ---------------------------------------------------------------- joining
function iceGatheringDone(connection) {
  if (connection.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => connection.iceGatheringState === 'complete' && resolve();
    connection.addEventListener('icegatheringstatechange', check);
    setTimeout(resolve, 2000);  // enough candidates on a LAN; the node does not trickle
  });
}

function stereoOpus(sdp) {
  // Chrome decodes Opus to mono unless the fmtp line asks for stereo: the binaural mix needs two ears.
  const rtpmap = sdp.match(/a=rtpmap:(\d+) opus\/48000\/2/i);
  if (!rtpmap) return sdp;
  const fmtp = new RegExp(`a=fmtp:${rtpmap[1]} ([^\r\n]*)`);
  if (fmtp.test(sdp)) {
    return sdp.replace(fmtp, (line, params) => (params.includes('stereo=1') ? line : `${line};stereo=1;sprop-stereo=1`));
  }
  return sdp.replace(rtpmap[0], `${rtpmap[0]}\r\na=fmtp:${rtpmap[1]} stereo=1;sprop-stereo=1`);
}

function meter(stream) {
  // Per-ear RMS of the received mix (shown nowhere, used by tests and for a sanity check).
  const source = audioCtx.createMediaStreamSource(stream);
  const splitter = audioCtx.createChannelSplitter(2);
  source.connect(splitter);
  const analysers = [0, 1].map((ear) => {
    const analyser = audioCtx.createAnalyser();
    analyser.fftSize = 2048;
    splitter.connect(analyser, ear);
    return analyser;
  });
  const buffer = new Float32Array(2048);
  const rms = (analyser) => { analyser.getFloatTimeDomainData(buffer); return Math.sqrt(buffer.reduce((s, x) => s + x * x, 0) / buffer.length); };
  setInterval(() => {
    tutti.leftRms = 0.8 * tutti.leftRms + 0.2 * rms(analysers[0]);
    tutti.rightRms = 0.8 * tutti.rightRms + 0.2 * rms(analysers[1]);
  }, 50);
}

// While in a session, the account cannot change (sign-in is hidden); after a refusal that retrying
// cannot fix (no pass, a sign-in the node rejected), joining waits until the account or key changes.
function sessionControls(inSession) {
  for (const id of ['wallet-signin', 'dev-key', 'dev-generate']) $(id).disabled = inSession || (id === 'wallet-signin' && !wallet);
  $('signin').hidden = inSession || embedded;
  $('leave').disabled = !inSession;
}

function showRefusal(error) {
  const permanent = error.status === 403 || error.status === 401;
  $('refusal-help').hidden = !permanent;
  $('pass-help').hidden = error.status !== 403;
  $('signin-help').hidden = error.status !== 401;
  $('refusal-reason').textContent = permanent ? error.message : '';
  $('join').disabled = permanent;  // 409 full, 429 busy, 503 chain down: trying again may work
  tutti.refused = error.status || null;
  if (embedded) window.parent.postMessage({ type: 'tutti-jam-state', refused: tutti.refused }, '*');
}

function accountChanged() {
  $('refusal-help').hidden = true;
  if (!tutti.joined) $('join').disabled = false;
}

async function join() {
  $('join').disabled = true;
  $('refusal-help').hidden = true;
  sessionControls(true);
  try {
    audioCtx = audioCtx || new AudioContext({ latencyHint: 'interactive', sampleRate: 48000 });
    const keyText = $('dev-key').value.trim();
    const account = keyText && !embedded ? devAccount(keyText) : wallet ? await walletAccount() : null;
    if (!account) throw new Error('no wallet: enter or generate a development key');
    tutti.address = account.address;
    status(`Signing in as ${account.address}...`);
    const signedIn = await signIn(account);
    const microphone = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
    });
    pc = new RTCPeerConnection(room.ice || {});  // the node's STUN/TURN servers (TURN credentials short-lived)
    channel = pc.createDataChannel('control');
    channel.onmessage = (event) => onControl(JSON.parse(event.data));
    channel.onopen = () => sendControl({ type: 'head', yaw: Number($('yaw').value) });
    microphone.getAudioTracks().forEach((track) => pc.addTrack(track, microphone));
    pc.ontrack = (event) => {
      const stream = new MediaStream([event.track]);
      $('mix').srcObject = stream;  // Chrome only feeds WebRTC audio to WebAudio if an element plays it
      if ('jitterBufferTarget' in event.receiver) event.receiver.jitterBufferTarget = 0;  // lowest latency
      meter(stream);
    };
    pc.onconnectionstatechange = () => {
      if (['failed', 'closed'].includes(pc.connectionState) && tutti.joined) ended(`connection ${pc.connectionState}`);
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription({ type: 'offer', sdp: stereoOpus(offer.sdp) });
    await iceGatheringDone(pc);
    const response = await fetch(`/api/rooms/${room.room}/join`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...signedIn, sdp: pc.localDescription.sdp, type: 'offer' }),
    });
    const answer = await response.json();
    if (!response.ok) throw Object.assign(new Error(`refused (${response.status}): ${answer.error}`), { status: response.status });
    await pc.setRemoteDescription({ sdp: stereoOpus(answer.sdp), type: answer.type });
    Object.assign(tutti, { joined: true, id: answer.id, ended: null });
    status(`In room ${room.room} as ${account.address}.`);
    if (embedded) window.parent.postMessage({ type: 'tutti-jam-state', joined: true, address: account.address }, '*');
    $('leave').disabled = false;
  } catch (error) {
    status(error.message || String(error), true);
    if (pc) pc.close();
    sessionControls(false);
    $('join').disabled = false;
    showRefusal(error);
  }
}

// Listen mode: the room through its Janus SFU (a pass holder who does not play; no microphone).
let listening = null;
async function listen() {
  $('join').disabled = $('listen').disabled = true;
  sessionControls(true);
  try {
    audioCtx = audioCtx || new AudioContext({ latencyHint: 'interactive', sampleRate: 48000 });
    const keyText = $('dev-key').value.trim();
    const account = keyText ? devAccount(keyText) : window.ethereum ? await walletAccount() : null;
    if (!account) throw new Error('no wallet: enter or generate a development key');
    tutti.address = account.address;
    status(`Signing in as ${account.address} to listen...`);
    listening = await listenToRoom({
      room: room.room, signedIn: await signIn(account), ice: room.ice || {},
      onTrack: (stream) => { $('mix').srcObject = stream; meter(stream); },
      onEnded: (reason) => { listening = null; $('listen').disabled = false; ended(reason); },
    });
    Object.assign(tutti, { joined: true, listening: true, id: listening.ticket.id, ended: null });
    status(`Listening to room ${room.room} as ${account.address}.`);
  } catch (error) {
    status(error.message || String(error), true);
    sessionControls(false);
    $('join').disabled = $('listen').disabled = false;
    showRefusal(error);
  }
}

function ended(reason) {
  if (listening) { listening.stop(); return; }
  tutti.joined = false;
  tutti.ended = reason;
  status(`Session ended: ${reason}`, true);
  if (pc) pc.close();
  sessionControls(false);
  $('join').disabled = false;
}

function sendControl(message) {
  if (channel && channel.readyState === 'open') channel.send(JSON.stringify(message));
}

function onControl(message) {
  if (message.type === 'state') { tutti.participants = message.participants; drawStage(); }
  else if (message.type === 'ended') ended(message.reason);
  else if (message.type === 'error') status(`Node: ${message.reason}`, true);
  else if (message.type === 'welcome') fillHrtfs(message.hrtfs);
}

// ---------------------------------------------------------------- stage
function toStage(azimuth, distance) {
  const r = Math.min(distance / STAGE_METRES, 1) * STAGE_RADIUS, a = (azimuth * Math.PI) / 180;
  return [r * Math.sin(a), -r * Math.cos(a)];
}

function fromStage(x, y) {
  const azimuth = (Math.atan2(x, -y) * 180) / Math.PI;
  const distance = Math.max(0.3, Math.min(Math.hypot(x, y) / STAGE_RADIUS, 1.2) * STAGE_METRES);
  return { azimuth, distance };
}

function drawStage() {
  const group = $('musicians');
  const others = tutti.participants.filter((p) => !p.you);
  for (const node of [...group.children]) if (!others.some((p) => p.id === node.dataset.id)) node.remove();
  for (const p of others) {
    let node = group.querySelector(`[data-id="${p.id}"]`);
    if (!node) {
      node = document.createElementNS('http://www.w3.org/2000/svg', 'g');
      node.classList.add('musician');
      node.dataset.id = p.id;
      node.innerHTML = `<circle r="16"></circle><text y="30">${p.address.slice(0, 6)}...${p.address.slice(-4)}</text>`;
      makeDraggable(node, p.id);
      group.appendChild(node);
    }
    const placed = tutti.placements[p.id] || { azimuth: p.azimuth ?? 0, distance: p.distance ?? 1.5 };
    if (!node.dataset.dragging) node.setAttribute('transform', `translate(${toStage(placed.azimuth, placed.distance).join(' ')})`);
    node.classList.toggle('playing', p.playing);
  }
  $('roster').innerHTML = tutti.participants.map((p) =>
    `<li class="${p.playing ? 'playing' : ''}">${p.you ? 'You' : p.address} <small>(${p.level.toFixed(0)} dBFS)</small></li>`).join('');
}

function makeDraggable(node, id) {
  const svg = $('stage');
  const toSvg = (event) => {
    const point = svg.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  };
  const move = (event, force = false) => {
    const { x, y } = toSvg(event);
    const placed = tutti.placements[id] = fromStage(x, y);
    node.setAttribute('transform', `translate(${toStage(placed.azimuth, placed.distance).join(' ')})`);
    const now = performance.now();
    if (force || now - lastSent > SEND_INTERVAL_MS) {
      lastSent = now;
      sendControl({ type: 'place', id, azimuth: placed.azimuth, distance: placed.distance });
    }
  };
  node.addEventListener('pointerdown', (event) => { node.dataset.dragging = '1'; node.setPointerCapture(event.pointerId); });
  node.addEventListener('pointermove', (event) => node.dataset.dragging && move(event));
  node.addEventListener('pointerup', (event) => { move(event, true); delete node.dataset.dragging; });
}

function fillHrtfs(names) {
  $('hrtf').innerHTML = names.map((n) => `<option>${n}</option>`).join('');
}

// ---------------------------------------------------------------- start-up
async function main() {
  room = await (await fetch('/api/room')).json();
  $('room-name').textContent = `room ${room.room}`;
  fillHrtfs(room.hrtfs);
  const params = new URLSearchParams(location.search);
  if (embedded) {
    wallet = appWallet();
    $('signin').hidden = true;  // the app's wallet bar is the sign-in
    // The app knows where its rooms page is (and that it is a link out of the frame).
    const passUrl = params.get('pass');
    if (passUrl && /^https?:/.test(passUrl)) room.passUrl = passUrl;
    $('pass-link').target = '_top';
  } else if (!window.ethereum) { $('wallet-missing').hidden = false; $('wallet-signin').disabled = true; $('dev-key-box').open = true; }
  const storedKey = params.get('devkey') || localStorage.getItem('tutti-dev-key');
  if (storedKey) $('dev-key').value = storedKey;
  const showAddress = () => {
    try { $('dev-address').textContent = devAccount($('dev-key').value.trim()).address; } catch { $('dev-address').textContent = '-'; }
  };
  $('dev-key').addEventListener('input', () => { showAddress(); accountChanged(); });
  $('dev-generate').addEventListener('click', () => {
    $('dev-key').value = '0x' + hex(secp.utils.randomPrivateKey());
    localStorage.setItem('tutti-dev-key', $('dev-key').value);
    showAddress();
    accountChanged();
  });
  if (room.passUrl) $('pass-link').href = room.passUrl;
  showAddress();
  $('wallet-signin').addEventListener('click', () => { $('dev-key').value = ''; accountChanged(); join(); });
  $('join').addEventListener('click', join);
  $('listen').addEventListener('click', listen);
  $('leave').addEventListener('click', () => ended('left'));
  $('yaw').addEventListener('input', () => {
    $('yaw-value').textContent = `${$('yaw').value}\u00b0`;
    $('you').setAttribute('transform', `rotate(${$('yaw').value})`);
    sendControl({ type: 'head', yaw: Number($('yaw').value) });
  });
  $('hrtf').addEventListener('change', () => sendControl({ type: 'hrtf', name: $('hrtf').value }));
  status(embedded ? `Room ${room.room} on chain ${room.chainId}. Join to sign in with the app's wallet.` : `Room ${room.room} on chain ${room.chainId}. Sign in to join.`);
  tutti.ready = true;
}

main().catch((error) => status(`Cannot reach the node: ${error.message}`, true));
