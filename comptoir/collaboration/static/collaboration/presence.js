// Live presence on a conversation page: "Claire is viewing", "Claire is writing a reply".
// The page opens a WebSocket to /ws/conversations/<id>/, says "typing" while the agent types
// a reply and "idle" after a pause, and shows what the other agents' pages say. Pages are
// swapped by htmx (hx-boost), so the socket follows the panel: a new panel, a new socket.
(function () {
  "use strict";
  if (window.comptoirPresence) {
    window.comptoirPresence.scan();
    return;
  }

  var HEARTBEAT_MS = 25000; // the server forgets nothing; the pages forget the silent
  var FORGET_MS = 70000;
  var IDLE_MS = 4000;
  var RECONNECT_MS = 3000; // doubled after each failure, up to a minute
  var RECONNECT_MAX_MS = 60000;

  var panel = null;
  var socket = null;
  var peers = {}; // connection -> {agent, name, state, heard}
  var state = "viewing";
  var idleTimer = null;
  var heartbeat = null;
  var reconnect = null;
  var reconnectDelay = RECONNECT_MS;

  function send(newState) {
    state = newState === "typing" ? "typing" : "viewing";
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ state: newState }));
    }
  }

  function render() {
    if (!panel) return;
    var now = Date.now();
    var byAgent = {};
    Object.keys(peers).forEach(function (connection) {
      var peer = peers[connection];
      if (now - peer.heard > FORGET_MS) {
        delete peers[connection];
        return;
      }
      if (String(peer.agent) === panel.dataset.agent) return; // my other tabs
      var known = byAgent[peer.agent];
      if (!known || peer.state === "typing") byAgent[peer.agent] = peer;
    });
    panel.textContent = "";
    Object.keys(byAgent).forEach(function (agent) {
      var peer = byAgent[agent];
      var template = peer.state === "typing" ? panel.dataset.typing : panel.dataset.viewing;
      var banner = document.createElement("p");
      banner.className = "presence-banner presence-" + peer.state;
      banner.dataset.agent = agent;
      banner.textContent = template.replace("{name}", peer.name);
      panel.appendChild(banner);
    });
  }

  function connect(element) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + window.location.host + element.dataset.presenceUrl);
    socket = ws;
    ws.onopen = function () {
      reconnectDelay = RECONNECT_MS;
      if (state === "typing") send("typing");
    };
    ws.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type !== "presence") return;
      if (data.state === "left") {
        delete peers[data.connection];
      } else {
        peers[data.connection] = {
          agent: data.agent, name: data.name, state: data.state, heard: Date.now()
        };
      }
      render();
    };
    ws.onclose = function () {
      if (socket !== ws || panel !== element) return; // closed on purpose
      socket = null;
      peers = {};
      render();
      // A restarted server comes back soon; a refused socket (session expired) keeps
      // failing, and is retried ever more slowly.
      reconnect = window.setTimeout(function () {
        if (panel === element) connect(element);
      }, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
    };
  }

  function open(element) {
    panel = element;
    peers = {};
    reconnectDelay = RECONNECT_MS;
    state = "viewing";
    connect(element);
    heartbeat = window.setInterval(function () {
      send(state);
      render();
    }, HEARTBEAT_MS);
  }

  function close() {
    var ws = socket;
    panel = null;
    socket = null;
    peers = {};
    window.clearInterval(heartbeat);
    window.clearTimeout(reconnect);
    window.clearTimeout(idleTimer);
    if (ws) ws.close();
  }

  function scan() {
    var found = document.querySelector("[data-presence-url]");
    if (panel && found !== panel) close();
    if (found && found !== panel) open(found);
  }

  document.addEventListener("input", function (event) {
    if (!panel || !event.target || event.target.id !== panel.dataset.replyField) return;
    if (state !== "typing") send("typing");
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () {
      send("idle");
    }, IDLE_MS);
  });
  document.addEventListener("htmx:afterSettle", scan);
  window.addEventListener("pagehide", close);
  window.comptoirPresence = { scan: scan };
  scan();
})();
