/// The search page served at `/` with `--db`: plain HTML, CSS and JavaScript (no build step), talking
/// to `/v1/search` and `/v1/images/{id}/thumbnail`. `/?q=TEXT` searches on load.
enum SearchPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>altclip search</title>
<style>
  :root { color-scheme: light dark; --gap: 12px; font-family: system-ui, sans-serif; }
  body { margin: 0 auto; max-width: 1200px; padding: 16px; }
  form { display: flex; gap: 8px; margin-bottom: 8px; }
  input[type=search] { flex: 1; font-size: 1.1rem; padding: 8px 10px; }
  button { font-size: 1rem; padding: 8px 14px; }
  #status { color: GrayText; min-height: 1.4em; margin: 4px 0 12px; }
  #grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: var(--gap); }
  figure { margin: 0; cursor: pointer; border-radius: 6px; overflow: hidden; outline: 1px solid #8884; }
  figure:hover { outline: 2px solid Highlight; }
  figure img { display: block; width: 100%; aspect-ratio: 1; object-fit: cover; background: #8882; }
  figcaption { display: flex; justify-content: space-between; gap: 6px; padding: 4px 6px; font-size: .8rem; }
  figcaption .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  figcaption .score { font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<form id="search">
  <input id="q" type="search" placeholder="Describe a picture, in any language — 红色的汽车, a dog on a beach, un chat…" autofocus>
  <label><input id="file" type="file" accept="image/*" hidden><button type="button" id="pick">By image…</button></label>
  <button type="submit">Search</button>
</form>
<div id="status">Type a query. Click a result for more like it.</div>
<div id="grid"></div>
<script>
"use strict";
const grid = document.getElementById("grid"), status = document.getElementById("status"), q = document.getElementById("q");
let key = sessionStorage.getItem("altclip-key") || "";

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function call(url, options) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await fetch(url, Object.assign({}, options, { headers: headers(options && options.headers) }));
    if (response.status === 401 && attempt === 0) {
      key = prompt("This server needs an API key:") || "";
      sessionStorage.setItem("altclip-key", key);
      continue;
    }
    return response;
  }
}

async function thumbnail(img, url) {
  const response = await call(url);
  if (response && response.ok) img.src = URL.createObjectURL(await response.blob());
}

function show(body, label) {
  grid.replaceChildren();
  const results = body.results || [];
  status.textContent = results.length ? `${results.length} results for ${label}` : `No results for ${label}`;
  for (const hit of results) {
    const figure = document.createElement("figure");
    figure.className = "hit";
    figure.dataset.id = hit.id;
    figure.dataset.name = hit.name;
    figure.title = `${hit.path}\n${hit.width || "?"}×${hit.height || "?"} — click for more like this`;
    const img = document.createElement("img");
    img.alt = hit.name;
    const caption = document.createElement("figcaption");
    const name = document.createElement("span"), score = document.createElement("span");
    name.className = "name"; name.textContent = hit.name;
    score.className = "score"; score.textContent = hit.score.toFixed(3);
    caption.append(name, score);
    figure.append(img, caption);
    figure.addEventListener("click", () => search({ like: hit.id }, `images like ${hit.name}`));
    grid.append(figure);
    thumbnail(img, hit.thumbnail);
  }
  document.body.dataset.state = "done";
}

async function search(query, label) {
  document.body.dataset.state = "searching";
  status.textContent = "Searching…";
  try {
    const response = await call("/v1/search", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(Object.assign({ k: 24 }, query))
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || body.message || response.statusText);
    show(body, label);
  } catch (error) {
    status.textContent = "Search failed: " + error.message;
    document.body.dataset.state = "error";
  }
}

document.getElementById("search").addEventListener("submit", event => {
  event.preventDefault();
  const text = q.value.trim();
  if (!text) return;
  history.replaceState(null, "", "?q=" + encodeURIComponent(text));
  search({ text }, `“${text}”`);
});
document.getElementById("pick").addEventListener("click", () => document.getElementById("file").click());
document.getElementById("file").addEventListener("change", event => {
  const file = event.target.files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => search({ image: reader.result }, file.name);
  reader.readAsDataURL(file);
});
const initial = new URLSearchParams(location.search).get("q");
if (initial) { q.value = initial; search({ text: initial }, `“${initial}”`); }
</script>
</body>
</html>
"""#
}
