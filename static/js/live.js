// Live event stream: one websocket per page. The page was rendered as of sequence number
// `data-live-seq`; the socket asks for everything after the last number seen, so a reconnect
// (after a network or server blink) replays exactly what was missed. Pages listen for
// `live:event` on document.
(function () {
  const status = document.getElementById("live-status");
  let lastSeq = parseInt(document.body.dataset.liveSeq || "0", 10);
  let delay = 1000;

  function setStatus(text, cls) {
    if (!status) return;
    status.textContent = "● " + text;
    status.className = "live-status " + cls;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/live/?after=${lastSeq}`);
    socket.onopen = () => { delay = 1000; setStatus("live", "on"); };
    socket.onmessage = (msg) => {
      const event = JSON.parse(msg.data);
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      document.dispatchEvent(new CustomEvent("live:event", { detail: event }));
    };
    socket.onclose = () => {
      setStatus("reconnecting", "off");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
