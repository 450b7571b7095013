// Live updates without reloading: the element marked data-refresh is fetched again every few seconds
// (its server-rendered fragment, ?partial=1) and replaced when it changed.
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
      if (html !== last) { live.innerHTML = html; last = html; }
    } catch (e) { /* offline for a moment: the next tick tries again */ }
  }
  setInterval(refresh, 3000);
})();
