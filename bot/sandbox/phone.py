"""`/sandbox/phone`: a phone simulator page for the demo, beside the practice's Open Dental book for a day
(at first the practice's tomorrow, in its own time zone).

Everything it does goes through the real path: messages and taps are posted to `/sandbox/whatsapp/inbound`
(a signed webhook to `/webhook/whatsapp`), replies are read from the Graph API fake's record (and reported
delivered and read back through the status webhook), and the book comes from the Open Dental sandbox's admin
side, so the page never takes turns in the practice's API throttle; its Confirmation column shows each visit's
confirmation status, which a reminder's Confirm tap changes. A template shows its body filled from the
templates the fake holds (else its name and parameters) and its quick-reply buttons, whose taps post
`button_payload` and `button_text`; a message Meta reported failed (131047) never reached the phone.
"""

from __future__ import annotations

import json

from aiohttp import web

from bot.keys import PHONE_PRACTICES_KEY
from bot.practices import PracticesFile
from locales.catalog import regional, twelve_hour

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
 *{box-sizing:border-box}
 body{margin:0;font-family:system-ui,-apple-system,sans-serif;background:#e9edef;display:flex;gap:16px;padding:16px;flex-wrap:wrap}
 .phone{position:relative;width:380px;max-width:100%;height:720px;background:#efeae2;border-radius:28px;border:10px solid #111;display:flex;flex-direction:column;overflow:hidden}
 .bar{background:#075e54;color:#fff;padding:10px 12px;display:flex;gap:8px;align-items:center;min-width:0}
 .bar select,.bar input{flex:1 1 0;min-width:0;font-size:13px;padding:4px}
 #chat{flex:1;overflow-y:auto;overflow-x:hidden;padding:10px;display:flex;flex-direction:column;gap:6px}
 .msg{max-width:80%;padding:7px 9px;border-radius:8px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:14px;box-shadow:0 1px .5px rgba(0,0,0,.13);text-align:start}
 .me{align-self:flex-end;background:#d9fdd3}.bot{align-self:flex-start;background:#fff}
 .ticks{font-size:11px;color:#667781;margin-inline-start:6px;white-space:nowrap}.ticks.read{color:#53bdeb}
 .choices{display:flex;flex-direction:column;gap:4px;margin-top:6px}
 .choices button,.open-list{background:#fff;border:1px solid #d1d7db;color:#027eb5;border-radius:6px;padding:6px;font-size:14px;cursor:pointer;text-align:start}
 .open-list{display:block;width:100%;margin-top:6px;text-align:center;border-width:1px 0 0;border-radius:0}
 .choices small,.sheet small{color:#667781;display:block}
 .sheet{position:absolute;inset:auto 0 0 0;max-height:75%;overflow-y:auto;background:#fff;border-radius:14px 14px 0 0;box-shadow:0 -2px 12px rgba(0,0,0,.25);padding:10px}
 .sheet h4{margin:4px 0 8px;text-align:center}.sheet button.row{display:block;width:100%;text-align:start;background:none;border:0;border-bottom:1px solid #eee;padding:8px;font-size:14px;cursor:pointer}
 .typing{align-self:flex-start;background:#fff;color:#667781;font-style:italic}
 form{display:flex;gap:6px;padding:8px;background:#f0f2f5} form input{flex:1;min-width:0;padding:9px;border-radius:18px;border:0}
 form button{border:0;background:#00a884;color:#fff;border-radius:18px;padding:0 14px}
 .book{flex:1;min-width:320px;background:#fff;border-radius:12px;padding:12px;max-height:720px;overflow:auto}
 table{border-collapse:collapse;width:100%;font-size:13px} td,th{border-bottom:1px solid #eee;padding:4px;text-align:left}
 tr.ours{background:#d9fdd3} tr.just{outline:2px solid #00a884}
</style></head><body>
<div class="phone"><div class="bar"><b>WhatsApp</b>
 <select id="who">__OPTIONS__</select><input id="custom" placeholder="or type +1…" inputmode="tel"></div>
 <div id="chat"></div>
 <form id="send"><input id="text" autocomplete="off" placeholder="Message"><button>Send</button></form></div>
<div class="book"><h3>__PRACTICE__ · Open Dental book <input type="date" id="day"></h3><table id="apts"></table></div>
<script>
const PNID = "__PNID__", TWELVE = __TWELVE__, ZONE = "__ZONE__";
let shown = 0, lastBooked, highlight = null, replyAt = 0, readAt = 0;
const statused = new Set();
const who = () => (document.getElementById("custom").value || document.getElementById("who").value).replace(/[^0-9]/g, "");
// The patient's own messages live only on their phone: kept per number, so a reload or a switch keeps them.
const key = () => "phone-sent:" + who();
const mine = () => JSON.parse(localStorage.getItem(key()) || "[]");
const keep = list => localStorage.setItem(key(), JSON.stringify(list.slice(-200)));
function clock(hhmm) {
  if (!TWELVE) return hhmm;
  const [h, m] = hhmm.split(":").map(Number);
  return ((h + 11) % 12 + 1) + ":" + String(m).padStart(2, "0") + (h < 12 ? " AM" : " PM");
}
function bubble(cls, text) {
  const div = document.createElement("div"); div.className = "msg " + cls; div.dir = "auto"; div.textContent = text;
  const chat = document.getElementById("chat"); chat.appendChild(div); chat.scrollTop = chat.scrollHeight; return div;
}
function own(entry) {
  const div = bubble("me", entry.text); const t = document.createElement("span"); t.className = "ticks"; div.appendChild(t);
  div.dataset.at = entry.at; tick(div); return div;
}
function tick(div) {
  const t = div.querySelector(".ticks"), read = Math.max(replyAt, readAt) >= Number(div.dataset.at);
  t.textContent = read ? "✓✓" : "✓"; t.className = "ticks" + (read ? " read" : ""); t.title = read ? "read" : "sent";
}
function sheet(list) {
  closeSheet(); const box = document.createElement("div"); box.className = "sheet"; box.id = "sheet";
  const h = document.createElement("h4"); h.textContent = list.action.button; box.appendChild(h);
  for (const r of list.action.sections.flatMap(s => s.rows)) {
    const b = document.createElement("button"); b.className = "row"; b.dir = "auto"; b.textContent = r.title;
    if (r.description) { const s = document.createElement("small"); s.textContent = r.description; b.appendChild(s); }
    b.onclick = () => { closeSheet(); send({list_id: r.id}, r.title); }; box.appendChild(b);
  }
  document.querySelector(".phone").appendChild(box);
}
function closeSheet() { const s = document.getElementById("sheet"); if (s) s.remove(); }
function choices(div, buttons, tapped) {
  const box = document.createElement("div"); box.className = "choices";
  for (const b of buttons) { const x = document.createElement("button"); x.dir = "auto"; x.textContent = b.title;
    x.onclick = () => tapped(b); box.appendChild(x); }
  div.appendChild(box);
}
function template(m) {
  // The Graph API fake fills a registered template's body and names its quick-reply buttons (`m.template`);
  // an unregistered one shows its name and parameters.
  const t = m.template, c = m.body.template, parts = c.components || [];
  const params = (parts.find(x => x.type === "body") || {parameters: []}).parameters.map(p => p.text);
  const div = bubble("bot template", t ? t.text : "[" + c.name + "] " + params.join(" · "));
  div.dataset.template = c.name;
  const buttons = t ? t.buttons : parts.filter(x => x.type === "button").map(x => ({title: x.parameters[0].payload, payload: x.parameters[0].payload}));
  if (buttons.length) choices(div, buttons, b => send({button_payload: b.payload, button_text: b.title}, b.title));
}
function render(m) {
  if (m.error_code) return;  // Meta accepted it and reported it failed (131047): the phone never got it
  const body = m.body; replyAt = Math.max(replyAt, m.at);
  if (body.type === "text") bubble("bot", body.text.body);
  else if (body.type === "template") template(m);
  else if (body.type === "interactive") {
    const i = body.interactive, div = bubble("bot", i.body.text);
    if (i.type === "list") {  // like WhatsApp: the rows open in a sheet behind the list's button
      const open = document.createElement("button"); open.className = "open-list"; open.textContent = "☰ " + i.action.button;
      open.onclick = () => sheet(i); div.appendChild(open);
    } else choices(div, i.action.buttons.map(b => ({id: b.reply.id, title: b.reply.title})), b => send({button_id: b.id}, b.title));
  } else bubble("bot", "[" + body.type + "]");
  // The patient's phone reports delivery and reading, as WhatsApp does (the console shows the ticks).
  if (!statused.has(m.wamid)) { statused.add(m.wamid); for (const status of ["delivered", "read"])
    fetch("/sandbox/whatsapp/status", {method: "POST", body: JSON.stringify({wamid: m.wamid, status})}); }
}
async function send(message, echo) {
  const entry = {at: Date.now() / 1000, text: echo}; const list = mine(); list.push(entry); keep(list); own(entry);
  await fetch("/sandbox/whatsapp/inbound", {method: "POST", body: JSON.stringify({from: who(), phone_number_id: PNID, ...message})});
}
const isTyping = m => m.kind === "typing";
async function feed() {
  const response = await fetch("/sandbox/whatsapp/outbox?typing=1&to=" + who()); return response.ok ? response.json() : [];
}
function showTyping(items) {
  // With typing=1 the Graph API fake lists the typing indicators it was sent among the messages
  // ({"kind": "typing", "at", "until"}): "typing…" shows from `at` until the next message or `until`.
  const last = items.filter(isTyping).pop(), old = document.getElementById("typing");
  if (last) readAt = Math.max(readAt, last.at);  // an indicator goes with the read receipt: blue ticks
  const showing = last && last.at > replyAt && Date.now() / 1000 < (last.until || last.at + 25);
  if (showing && !old) { const d = bubble("typing", "typing…"); d.id = "typing"; }
  if (!showing && old) old.remove();
}
async function poll() {
  const items = await feed(), sent = items.filter(m => !isTyping(m));
  const fresh = sent.slice(shown); shown = sent.length;
  const typing = document.getElementById("typing"); if (typing && fresh.length) typing.remove();
  for (const m of fresh) render(m);
  document.querySelectorAll(".msg.me").forEach(tick); showTyping(items);
}
async function reset() {
  document.getElementById("chat").innerHTML = ""; closeSheet(); shown = 0; replyAt = 0; readAt = 0;
  const sent = (await feed()).filter(m => !isTyping(m)); shown = sent.length;
  const all = [...mine().map(e => ({at: e.at, own: e})), ...sent];
  all.sort((a, b) => a.at - b.at);
  for (const m of all) m.own ? own(m.own) : render(m);
  document.querySelectorAll(".msg.me").forEach(tick);
}
async function book() {
  const day = document.getElementById("day");
  const data = await (await fetch("/sandbox/od/_admin/book?date=" + day.value)).json();
  const latest = data.latest_booked;
  if (latest && lastBooked !== undefined && latest.apt_num !== lastBooked && latest.date !== day.value) {
    lastBooked = latest.apt_num; highlight = latest.apt_num; day.value = latest.date; return book();  // jump to it
  }
  if (latest && lastBooked !== undefined && latest.apt_num !== lastBooked) highlight = latest.apt_num;
  lastBooked = latest ? latest.apt_num : null;
  const rows = data.appointments.map(a =>
    `<tr class="${a.ours ? "ours" : ""}${a.apt_num === highlight ? " just" : ""}" data-apt="${a.apt_num}"><td>${clock(a.time)}</td><td>Op ${a.op}</td>` +
    `<td>${a.provider}</td><td>${a.minutes} min</td><td></td><td>${a.status}</td><td class="confirmation"></td><td></td></tr>`);
  const table = document.getElementById("apts");
  table.innerHTML = "<tr><th>Time</th><th>Chair</th><th>With</th><th>Length</th><th>What</th><th>Status</th><th>Confirmation</th><th>Patient</th></tr>" + rows.join("");
  // Names, descriptions and the office's own status labels are text, never markup.
  [...table.querySelectorAll("tr[data-apt]")].forEach((tr, n) => { const a = data.appointments[n];
    tr.children[4].textContent = a.what; tr.children[6].textContent = a.confirmed; tr.children[7].textContent = a.patient; });
}
document.getElementById("who").onchange = reset; document.getElementById("custom").onchange = reset;
document.getElementById("send").onsubmit = e => { e.preventDefault(); const t = document.getElementById("text");
  if (t.value.trim()) send({text: t.value}, t.value); t.value = ""; };
function practiceDay(ahead) {  // the practice's calendar: neither UTC's nor the browser's
  const parts = new Intl.DateTimeFormat("en-CA", {timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit"}).formatToParts(new Date());
  const part = type => Number(parts.find(p => p.type === type).value);
  return new Date(Date.UTC(part("year"), part("month") - 1, part("day") + ahead)).toISOString().slice(0, 10);
}
document.getElementById("day").value = practiceDay(1);  // tomorrow, at the practice
document.getElementById("day").onchange = () => { highlight = null; book(); };
reset().then(() => setInterval(poll, 700)); setInterval(book, 3000); book();
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
        .replace("__ZONE__", json.dumps(practice.timezone)[1:-1])
        .replace("__TWELVE__", "true" if twelve_hour(regional("en", practice.region)) else "false")
    )
    return web.Response(text=html, content_type="text/html")
