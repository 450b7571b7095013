"""`/sandbox/phone`: a phone simulator page for the demo, beside the practice's Open Dental book for the day.

Everything it does goes through the real path: messages and taps are posted to `/sandbox/whatsapp/inbound`
(a signed webhook to `/webhook/whatsapp`), replies are read from the Graph API fake's record, and the book comes
from the Open Dental sandbox's API with the sandbox's public keys.
"""

from __future__ import annotations

import json

from aiohttp import web

from bot.keys import PHONE_PRACTICES_KEY
from bot.practices import PracticesFile

DEMO_PATIENTS = [
    ("+15035551234", "Jane Smith (English)"),
    ("+15035552000", "García family phone (Spanish)"),
    ("+15035553000", "Carlos Hernández (Spanish)"),
    ("+15035554000", "Johnson family phone"),
    ("+15035550777", "A new patient"),
]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Phone simulator · __PRACTICE__</title>
<style>
 body{margin:0;font-family:system-ui,-apple-system,sans-serif;background:#e9edef;display:flex;gap:16px;padding:16px;flex-wrap:wrap}
 .phone{width:380px;height:720px;background:#efeae2;border-radius:28px;border:10px solid #111;display:flex;flex-direction:column;overflow:hidden}
 .bar{background:#075e54;color:#fff;padding:10px 12px;display:flex;gap:8px;align-items:center}
 .bar select,.bar input{flex:1;font-size:13px;padding:4px}
 #chat{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px}
 .msg{max-width:80%;padding:7px 9px;border-radius:8px;white-space:pre-wrap;font-size:14px;box-shadow:0 1px .5px rgba(0,0,0,.13)}
 .me{align-self:flex-end;background:#d9fdd3}.bot{align-self:flex-start;background:#fff}
 .choices{display:flex;flex-direction:column;gap:4px;margin-top:6px}
 .choices button{background:#fff;border:1px solid #d1d7db;color:#027eb5;border-radius:6px;padding:6px;font-size:14px;cursor:pointer;text-align:left}
 .choices small{color:#667781;display:block}
 form{display:flex;gap:6px;padding:8px;background:#f0f2f5} form input{flex:1;padding:9px;border-radius:18px;border:0}
 form button{border:0;background:#00a884;color:#fff;border-radius:18px;padding:0 14px}
 .book{flex:1;min-width:320px;background:#fff;border-radius:12px;padding:12px;max-height:720px;overflow:auto}
 table{border-collapse:collapse;width:100%;font-size:13px} td,th{border-bottom:1px solid #eee;padding:4px;text-align:left}
 tr.ours{background:#d9fdd3}
</style></head><body>
<div class="phone"><div class="bar"><b>WhatsApp</b>
 <select id="who">__OPTIONS__</select><input id="custom" placeholder="or type +1…"></div>
 <div id="chat"></div>
 <form id="send"><input id="text" autocomplete="off" placeholder="Message"><button>Send</button></form></div>
<div class="book"><h3>__PRACTICE__ · Open Dental book <input type="date" id="day"></h3><table id="apts"></table></div>
<script>
const PNID = "__PNID__", OD = {"Authorization": "ODFHIR sandbox-dev/sandbox-customer", "Content-Type": "application/json"};
let mine = {}, shown = 0;
const who = () => (document.getElementById("custom").value || document.getElementById("who").value).replace("+", "");
function bubble(cls, text, choices) {
  const div = document.createElement("div"); div.className = "msg " + cls; div.textContent = text;
  if (choices && choices.length) { const box = document.createElement("div"); box.className = "choices";
    for (const [id, title, desc, kind] of choices) { const b = document.createElement("button");
      b.textContent = title; if (desc) { const s = document.createElement("small"); s.textContent = desc; b.appendChild(s); }
      b.onclick = () => send({[kind]: id}, title); box.appendChild(b); } div.appendChild(box); }
  const chat = document.getElementById("chat"); chat.appendChild(div); chat.scrollTop = chat.scrollHeight;
}
function render(body) {
  if (body.type === "text") return bubble("bot", body.text.body);
  const i = body.interactive; let choices = [];
  if (i.type === "button") choices = i.action.buttons.map(b => [b.reply.id, b.reply.title, "", "button_id"]);
  else choices = i.action.sections.flatMap(s => s.rows).map(r => [r.id, r.title, r.description || "", "list_id"]);
  bubble("bot", i.body.text, choices);
}
async function send(message, echo) {
  bubble("me", echo);
  await fetch("/sandbox/whatsapp/inbound", {method: "POST", body: JSON.stringify({from: who(), phone_number_id: PNID, ...message})});
}
async function poll() {
  const sent = await (await fetch("/sandbox/whatsapp/outbox?to=" + who())).json();
  for (const m of sent.slice(shown)) render(m.body); shown = sent.length;
}
async function book() {
  const day = document.getElementById("day").value;
  const [apts, provs] = await Promise.all([
    fetch("/sandbox/od/api/v1/appointments?date=" + day, {headers: OD}).then(r => r.json()),
    fetch("/sandbox/od/api/v1/providers", {headers: OD}).then(r => r.json())]);
  const name = Object.fromEntries(provs.map(p => [p.ProvNum, p.Abbr]));
  const rows = apts.filter(a => !["UnschedList", "Planned"].includes(a.AptStatus)).map(a =>
    `<tr class="${a.Note.includes("WhatsApp") ? "ours" : ""}"><td>${a.AptDateTime.slice(11, 16)}</td><td>Op ${a.Op}</td>` +
    `<td>${name[a.IsHygiene === "true" ? a.ProvHyg : a.ProvNum] || ""}</td><td>${a.Pattern.length * 5} min</td>` +
    `<td>${a.ProcDescript}</td><td>${a.AptStatus}</td><td>#${a.PatNum}</td></tr>`).join("");
  document.getElementById("apts").innerHTML = "<tr><th>Time</th><th>Chair</th><th>With</th><th>Length</th><th>What</th><th>Status</th><th>Patient</th></tr>" + rows;
}
function reset() { document.getElementById("chat").innerHTML = ""; shown = 0; poll(); }
document.getElementById("who").onchange = reset; document.getElementById("custom").onchange = reset;
document.getElementById("send").onsubmit = e => { e.preventDefault(); const t = document.getElementById("text");
  if (t.value.trim()) send({text: t.value}, t.value); t.value = ""; };
const tomorrow = new Date(Date.now() + 86400000); document.getElementById("day").value = tomorrow.toISOString().slice(0, 10);
document.getElementById("day").onchange = book;
setInterval(poll, 700); setInterval(book, 3000); poll(); book();
</script></body></html>"""


def add_phone_simulator(app: web.Application, practices: PracticesFile) -> None:
    app[PHONE_PRACTICES_KEY] = practices
    app.router.add_get("/sandbox/phone", phone_page)


async def phone_page(request: web.Request) -> web.Response:
    practice = request.app[PHONE_PRACTICES_KEY].practices[0]
    options = "".join(f'<option value="{phone}">{label}</option>' for phone, label in DEMO_PATIENTS)
    html = (
        PAGE.replace("__PRACTICE__", practice.name)
        .replace("__PNID__", json.dumps(practice.phone_number_id)[1:-1])
        .replace("__OPTIONS__", options)
    )
    return web.Response(text=html, content_type="text/html")
