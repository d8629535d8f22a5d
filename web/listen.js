// Listen mode: hear a room's performance through its Janus SFU (no microphone, no playing).
// The node checks the SIWE sign-in and the access pass and answers with a ticket (Janus' URL, a
// token of this listener's own, a Janus session made with it, the mountpoint and its pin); the page
// then talks to Janus' HTTP API directly: attach the streaming plugin, watch, answer, start.
// The web app calls listenToRoom(); the jam page's "Listen" button does too.

const tx = () => Math.random().toString(36).slice(2);

async function janusPost(url, body) {
  const response = await fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...body, transaction: tx() }),
  });
  const reply = await response.json();
  if (reply.janus === 'error') throw new Error(`Janus: ${reply.error.reason}`);
  const data = reply.plugindata && reply.plugindata.data;
  if (data && data.error) throw new Error(`Janus streaming: ${data.error}`);
  return reply;
}

async function janusEvents(ticket) {
  const response = await fetch(`${ticket.janus}/${ticket.session}?maxev=10&token=${ticket.token}&rid=${Date.now()}`);
  const reply = await response.json();
  const events = Array.isArray(reply) ? reply : [reply];
  if (events.some((e) => e.janus === 'error')) throw new Error('Janus session gone');
  return events.filter((e) => e.janus !== 'keepalive');
}

function stereoAnswer(sdp) {
  // Chrome decodes Opus to mono unless asked for stereo; a binaural mix needs both ears.
  return sdp.replace(/a=fmtp:(\d+) ([^\r\n]*)/g, (line, pt, params) =>
    (/useinbandfec|minptime/.test(params) && !params.includes('stereo=1') ? `${line};stereo=1` : line));
}

/**
 * Listen to `room` at the node `nodeUrl` ('' for the page's own node).
 * `signedIn`: {message, signature} for a fresh nonce of that node (the jam page's signIn()).
 * `onTrack(stream)` gets the audio; `onEnded(reason)` is called once when the stream is taken
 * away (pass revoked or expired: Janus hangs up) or stop() is called.
 * Returns {ticket, pc, stop}. Throws an Error with `status` (HTTP) when the node refuses.
 */
export async function listenToRoom({ nodeUrl = '', room, signedIn, ice = {}, onTrack, onEnded = () => {} }) {
  const response = await fetch(`${nodeUrl}/api/rooms/${room}/listen`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(signedIn),
  });
  const ticket = await response.json();
  if (!response.ok) throw Object.assign(new Error(`refused (${response.status}): ${ticket.error}`), { status: response.status });
  const base = `${ticket.janus}/${ticket.session}`;
  const auth = { token: ticket.token };
  let done = false;
  const pc = new RTCPeerConnection(ice);
  const finish = (reason) => {
    if (done) return;
    done = true;
    clearInterval(keepalive);
    pc.close();
    if (reason === 'left') janusPost(base, { janus: 'destroy', ...auth }).catch(() => {});
    onEnded(reason);
  };
  pc.ontrack = (event) => onTrack && onTrack(new MediaStream([event.track]));
  pc.onconnectionstatechange = () => ['failed', 'closed'].includes(pc.connectionState) && finish(`connection ${pc.connectionState}`);
  const handle = (await janusPost(base, { janus: 'attach', plugin: 'janus.plugin.streaming', ...auth })).data.id;
  await janusPost(`${base}/${handle}`, { janus: 'message', body: { request: 'watch', id: ticket.mountpoint, pin: ticket.pin }, ...auth });
  let offer = null;
  while (!offer) offer = (await janusEvents(ticket)).map((e) => e.jsep).find(Boolean);
  await pc.setRemoteDescription(offer);
  const answer = await pc.createAnswer();
  await pc.setLocalDescription({ type: 'answer', sdp: stereoAnswer(answer.sdp) });
  await janusPost(`${base}/${handle}`, { janus: 'message', body: { request: 'start' }, jsep: pc.localDescription, ...auth });
  const keepalive = setInterval(() => janusPost(base, { janus: 'keepalive', ...auth }).catch(() => finish('Janus session gone')), 10000);
  (async () => {  // Janus' events: a hangup (the node took the pass's stream away) ends listening
    while (!done) {
      try {
        const hangup = (await janusEvents(ticket)).find((e) => ['hangup', 'detached', 'timeout'].includes(e.janus));
        if (hangup) finish(`stream ended (${hangup.reason || hangup.janus})`);
      } catch (error) { finish(error.message); }
    }
  })();
  return { ticket, pc, stop: () => finish('left') };
}
