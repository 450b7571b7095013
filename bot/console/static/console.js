// Live updates without reloading: the element marked data-refresh is fetched again every few seconds
// (its server-rendered fragment, ?partial=1) and replaced when it changed; a handoff alert refreshes it at once.
(function () {
  const live = document.getElementById("live");
  if (!live || !live.dataset.refresh) return;
  const url = new URL(live.dataset.refresh, location.href);
  url.searchParams.set("partial", "1");
  let last = live.innerHTML;
  async function refresh() {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) { location.href = "/console/login"; return; }
      if (!response.ok) return;
      const html = await response.text();
      if (html !== last) { live.innerHTML = html; last = html; document.dispatchEvent(new Event("console:updated")); }
    } catch (e) { /* offline for a moment: the next tick tries again */ }
  }
  setInterval(refresh, 3000);
  document.addEventListener("console:alert", refresh);
  // A chat reads from the bottom: keep the newest message in view unless the operator scrolled up to read.
  if (live.classList.contains("scroll")) {
    let pinned = true;
    live.addEventListener("scroll", () => { pinned = live.scrollHeight - live.scrollTop - live.clientHeight < 40; });
    const bottom = () => { if (pinned) live.scrollTop = live.scrollHeight; };
    document.addEventListener("console:updated", bottom);
    bottom();
  }
})();

// Handoff alerts (server-sent events from every worker): a badge, the tab's title, a banner linking to the
// conversation, and a short tone once the operator has touched the page (browsers refuse sound before that).
(function () {
  const badge = document.getElementById("alert-badge");
  const banner = document.getElementById("alert-banner");
  if (!badge || !banner || !window.EventSource) return;
  const title = document.title;
  let count = 0;
  let interacted = false;
  for (const kind of ["pointerdown", "keydown"]) {
    addEventListener(kind, () => { interacted = true; }, { once: true });
  }
  function tone() {
    try {
      const audio = new AudioContext();
      const beep = audio.createOscillator();
      const gain = audio.createGain();
      beep.frequency.value = 880;
      gain.gain.value = 0.1;
      beep.connect(gain).connect(audio.destination);
      beep.start();
      beep.stop(audio.currentTime + 0.25);
    } catch (e) { /* no audio here: the badge and the title still show */ }
  }
  const source = new EventSource("/console/alerts");
  source.addEventListener("handoff", (event) => {
    const alert = JSON.parse(event.data);
    count += 1;
    badge.textContent = String(count);
    badge.hidden = false;
    document.title = "(" + count + ") Needs a human · " + title;
    banner.textContent = "";
    const link = document.createElement("a");
    link.href = "/console/c/" + encodeURIComponent(alert.conversation);
    link.textContent = "Handed to staff" + (alert.practice ? " at " + alert.practice : "") + ": " + alert.reason;
    banner.appendChild(link);
    banner.hidden = false;
    if (interacted) tone();
    document.dispatchEvent(new Event("console:alert"));
  });
})();
