// Live event stream: one websocket per page. The page was rendered as of sequence number
// `data-live-seq`; the socket asks for everything after the last number seen, so a reconnect
// (after a network or server blink) replays exactly what was missed. Pages listen for
// `live:event` on document.
//
// Heartbeat: a ping every 20 s; the server answers with any events we lack and a pong. No pong
// within 10 s means the connection is dead (a proxy or NAT dropped it silently): close it and
// reconnect. Reconnects back off exponentially with jitter up to 30 s (a server that refuses the
// handshake with 4013 during a Redis outage is retried the same way).
(function () {
  const PING_EVERY_MS = 20000;
  const PONG_WITHIN_MS = 10000;
  const MAX_DELAY_MS = 30000;
  const status = document.getElementById("live-status");
  let lastSeq = parseInt(document.body.dataset.liveSeq || "0", 10);
  let delay = 1000;
  let socket = null;
  let pingTimer = null;
  let pongTimer = null;

  function setStatus(text, cls) {
    if (!status) return;
    status.textContent = "● " + text;
    status.className = "live-status " + cls;
  }

  function stopHeartbeat() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    pingTimer = pongTimer = null;
  }

  function ping() {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ping" }));
    clearTimeout(pongTimer);
    pongTimer = setTimeout(() => socket && socket.close(4000, "no pong"), PONG_WITHIN_MS);
  }

  function handle(message) {
    if (message.type === "pong") { clearTimeout(pongTimer); return; }
    if (message.type === "error") { console.warn("live:", message.error); return; }
    if (typeof message.seq !== "number" || message.seq <= lastSeq) return;
    lastSeq = message.seq;
    document.dispatchEvent(new CustomEvent("live:event", { detail: message }));
  }

  function reconnectLater() {
    const wait = delay / 2 + Math.random() * delay / 2;  // jitter: not every page at once
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    setTimeout(connect, wait);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/live/?after=${lastSeq}`);
    let opened = false;
    socket.onopen = () => {
      opened = true;
      setStatus("live", "on");
      pingTimer = setInterval(ping, PING_EVERY_MS);
    };
    socket.onmessage = (msg) => {
      let message;
      try { message = JSON.parse(msg.data); } catch (e) { return; }
      handle(message);
      if (opened && message.seq) delay = 1000;  // a working connection resets the backoff
    };
    socket.onclose = (event) => {
      stopHeartbeat();
      socket = null;
      if (event.code === 4401 || event.code === 4403) { setStatus("signed out", "off"); return; }
      setStatus("reconnecting", "off");
      if (opened && event.code !== 4013) delay = Math.min(delay, 2000);
      reconnectLater();
    };
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") ping();  // a laptop waking up: check at once
  });
  connect();
})();

// A "… #N queued" message (Django messages tagged run-N) says so no longer once study N has
// finished: it turns into "… #N finished" (or failed / cancelled), on any page.
document.addEventListener("live:event", (e) => {
  const event = e.detail;
  if (event.kind !== "study.finished") return;
  document.querySelectorAll(`.messages li.run-${event.payload.id}`).forEach((li) => {
    const state = event.payload.state === "succeeded" ? "finished" : event.payload.state;
    li.textContent = li.textContent.replace(/ queued\b.*$/, ` ${state}.`);
    li.classList.add("done", event.payload.state);
  });
});
