// The playground's page: sends the settings and the buttons to the server, draws what its
// event stream (/events) says. The settings live in the URL's query string.
"use strict";

const SETTINGS = ["dataset", "hidden", "activation", "loss", "optimizer", "lr", "batch", "l2",
                  "seed"];
const COLORS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
const form = document.getElementById("settings");
let run = null, points = [], data = null, settings = {};

function $(id) { return document.getElementById(id); }

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

async function post(path, body, type = "application/json") {
  const response = await fetch(path, {method: "POST", headers: {"Content-Type": type}, body});
  const answer = await response.json();
  showError(response.ok ? "" : answer.error);
  if (!response.ok) fillForm(settings);  // back to the settings that run
  return response.ok;
}

function fillForm(values) {
  for (const name of SETTINGS) {
    const field = form.elements[name];
    if (field !== document.activeElement) field.value = values[name];
  }
}

// -- drawing --------------------------------------------------------------------------------

function rgb(color, alpha = 1) { return `rgba(${color[0]},${color[1]},${color[2]},${alpha})`; }

function drawBoundary(view) {
  const canvas = $("boundary"), context = canvas.getContext("2d");
  const n = view.grid, cells = new ImageData(n, n);
  const floor = 1 / view.n_classes;
  view.boundary.classes.forEach((k, i) => {
    const sure = (view.boundary.confidence[i] - floor) / (1 - floor);  // 0: a guess, 1: sure
    const mix = 0.15 + 0.5 * Math.max(0, sure);
    COLORS[k % COLORS.length].forEach((c, j) => {
      cells.data[4 * i + j] = Math.round(255 - mix * (255 - c));
    });
    cells.data[4 * i + 3] = 255;
  });
  const small = document.createElement("canvas");
  small.width = small.height = n;
  small.getContext("2d").putImageData(cells, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
  if (!data) return;
  const [x0, x1, y0, y1] = view.extent;
  data.x.forEach(([x, y], i) => {
    context.beginPath();
    context.arc((x - x0) / (x1 - x0) * canvas.width, (y1 - y) / (y1 - y0) * canvas.height,
                3, 0, 2 * Math.PI);
    context.fillStyle = rgb(COLORS[data.y[i] % COLORS.length]);
    context.fill();
    context.strokeStyle = "#fff";
    context.stroke();
  });
}

// A curve of (step, value) pairs; the value axis spans [low, high], or the values' range.
function drawCurve(canvas, pairs, color, low, high) {
  const context = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 30;
  context.clearRect(0, 0, w, h);
  canvas.dataset.points = pairs.length;
  if (!pairs.length) return;
  const values = pairs.map(p => p[1]);
  low = low ?? Math.min(...values);
  high = high ?? Math.max(...values);
  if (high - low < 1e-9) high = low + 1;
  const last = Math.max(pairs[pairs.length - 1][0], 1);
  context.fillStyle = "#666";
  context.font = "10px sans-serif";
  context.fillText(high.toPrecision(3), 2, 10);
  context.fillText(low.toPrecision(3), 2, h - 14);
  context.fillText(`step ${last}`, w - 60, h - 2);
  context.strokeStyle = "#ccc";
  context.strokeRect(pad, 2, w - pad - 2, h - 20);
  context.beginPath();
  pairs.forEach(([step, value], i) => {
    const x = pad + step / last * (w - pad - 2), y = 2 + (high - value) / (high - low) * (h - 20);
    i ? context.lineTo(x, y) : context.moveTo(x, y);
  });
  context.strokeStyle = color;
  context.lineWidth = 1.5;
  context.stroke();
}

// Gradient norms as bars on a log scale, from 1e-6 to 10.
function drawGradients(norms) {
  const canvas = $("grads"), context = canvas.getContext("2d"), names = Object.keys(norms);
  context.clearRect(0, 0, canvas.width, canvas.height);
  const row = Math.min(22, canvas.height / Math.max(names.length, 1));
  context.font = "11px sans-serif";
  names.forEach((name, i) => {
    const norm = norms[name], y = i * row;
    const size = norm ? Math.max(0, Math.min(1, (Math.log10(norm) + 6) / 7)) : 0;
    context.fillStyle = "#4a7ab5";
    context.fillRect(70, y + 3, size * (canvas.width - 150), row - 6);
    context.fillStyle = "#222";
    context.fillText(name, 2, y + row - 7);
    context.fillText(norm === null ? "none" : norm.toExponential(2), canvas.width - 70,
                     y + row - 7);
  });
}

function showWarnings(warnings) {
  const list = $("warnings");
  list.replaceChildren();
  for (const warning of warnings) {
    const item = document.createElement("li");
    item.textContent = warning.message;
    item.dataset.code = warning.code;
    list.append(item);
  }
  if (!warnings.length) {
    const item = document.createElement("li");
    item.className = "ok";
    item.textContent = "no warning: activations and gradients look healthy";
    list.append(item);
  }
}

// The graph of the next batch, as rg.explain.trace lists it; a click shows a node's chain rule.
async function showGraph() {
  const nodes = (await (await fetch("/api/graph")).json()).nodes;
  const table = $("graph");
  table.replaceChildren();
  const header = table.insertRow();
  for (const title of ["step", "variable", "value", "∂f/∂variable"]) {
    header.append(Object.assign(document.createElement("th"), {textContent: title}));
  }
  for (const node of nodes) {
    const row = table.insertRow();
    row.className = "node";
    const name = node.operation === "leaf" ? `${node.variable} (leaf)`
                                           : `${node.variable} = ${node.expression}`;
    for (const text of [node.step, name, node.value, node.gradient]) {
      row.insertCell().textContent = text;
    }
    row.addEventListener("click", () => {
      for (const other of table.querySelectorAll("tr.chosen")) other.classList.remove("chosen");
      row.classList.add("chosen");
      const lines = node.inputs.map(input => `${input.formula} = ${input.gradient}`);
      $("chain").textContent = `${name}\n${node.rule || "a leaf: its gradient is what " +
                                "arrived"}\n${lines.join("\n")}`;
    });
  }
}

// -- the event stream -----------------------------------------------------------------------

function update(view) {
  if (view.run !== run) {
    run = view.run;
    points = [];
    data = view.data;
  }
  points.push(...view.points);
  settings = view.settings;
  fillForm(settings);
  history.replaceState(null, "", "?" + new URLSearchParams(settings));
  $("step").textContent = view.step;
  $("status").textContent = view.running ? "training" : "paused";
  $("code").textContent = view.code;
  if (view.error) showError(view.error);
  form.elements.hidden.disabled = form.elements.activation.disabled = view.custom_model;
  const last = points[points.length - 1];
  $("loss-value").textContent = last && last[1] !== null ? last[1].toFixed(4) : "";
  $("acc-value").textContent = last ? (100 * last[2]).toFixed(1) + "%" : "";
  drawBoundary(view);
  drawCurve($("loss-curve"), points.filter(p => p[1] !== null).map(p => [p[0], p[1]]),
            "#d62728", 0);
  drawCurve($("acc-curve"), points.map(p => [p[0], p[2]]), "#2ca02c", 0, 1);
  drawGradients(view.grad_norms);
  showWarnings(view.warnings);
}

async function start() {
  // the URL's settings (a shared link) first, then the stream
  const query = new URLSearchParams(location.search), given = {};
  for (const name of SETTINGS) if (query.has(name)) given[name] = query.get(name);
  if (Object.keys(given).length) await post("/api/settings", JSON.stringify(given));
  const events = new EventSource("/events");
  events.addEventListener("state", event => update(JSON.parse(event.data)));
  events.onerror = () => { $("status").textContent = "disconnected: is the server running?"; };
}

form.addEventListener("change", event => {
  const name = event.target.name;
  if (SETTINGS.includes(name)) post("/api/settings", JSON.stringify({[name]: event.target.value}));
});
form.addEventListener("submit", event => event.preventDefault());
for (const button of form.querySelectorAll("button[data-action]")) {
  button.addEventListener("click", () =>
    post("/api/control", JSON.stringify({action: button.dataset.action})));
}
$("upload").addEventListener("change", async event => {
  const file = event.target.files[0];
  if (file) await post("/api/upload", await file.text(), "text/csv");
});
$("show-graph").addEventListener("click", showGraph);
$("share").addEventListener("click", () => navigator.clipboard.writeText(location.href));
$("copy-code").addEventListener("click", () =>
  navigator.clipboard.writeText($("code").textContent));
start();
