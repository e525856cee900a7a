// The console's script layer: live tables (polling the JSON endpoints) and the job page's event stream and charts.
// No framework: the pages are server-rendered Razor; this only keeps them current.
(() => {
  "use strict";
  const page = document.body.dataset.page;
  const api = "/console/api";
  const text = (el, value) => { if (el) el.textContent = value; };
  const fmt = (v, digits = 4) => (v === null || v === undefined) ? "–" : Number(v).toPrecision(digits);
  const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const duration = seconds => {
    if (!isFinite(seconds) || seconds < 0) return "–";
    const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = Math.floor(seconds % 60);
    return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
  };
  // ETA from the step rate this page has seen (the first sighting of each job is the reference).
  const seen = new Map();
  const eta = (id, step, max, state) => {
    if (state !== "running" || !max) return "–";
    const now = Date.now() / 1000;
    if (!seen.has(id)) seen.set(id, { t: now, step });
    const first = seen.get(id);
    if (step <= first.step) return "…";
    return duration((max - step) * (now - first.t) / (step - first.step));
  };
  document.querySelectorAll("[data-copy]").forEach(b => b.addEventListener("click", () =>
    navigator.clipboard?.writeText(document.getElementById(b.dataset.copy).textContent.trim())));

  async function getJson(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
    if (r.status === 401) { location.href = "/console/login?returnUrl=" + encodeURIComponent(location.pathname + location.search); throw new Error("401"); }
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    return r.json();
  }

  function jobsPage() {
    const table = document.getElementById("jobs");
    const state = table.dataset.state || "";
    const body = table.querySelector("tbody");
    const refresh = async () => {
      try {
        const { jobs } = await getJson(`${api}/jobs${state ? "?state=" + encodeURIComponent(state) : ""}`);
        body.innerHTML = jobs.map(j => `<tr data-job="${esc(j.id)}" data-state="${esc(j.state)}">
          <td><a href="/console/jobs/${esc(j.id)}">${esc(j.id)}</a></td><td>${esc(j.name)}</td>
          <td><span class="state ${esc(j.state)}">${esc(j.state)}</span>${j.waitingReason ? `<div class="muted small">${esc(j.waitingReason)}</div>` : ""}</td>
          <td>${j.step} / ${j.maxSteps || "?"}</td><td class="eta">${eta(j.id, j.step, j.maxSteps, j.state)}</td><td>${j.worldSize}</td>
          <td>${j.attempts}</td><td>${j.loss == null ? "–" : Number(j.loss).toFixed(4)}</td>
          <td>${esc(j.createdAt.replace("T", " ").slice(0, 19))} UTC</td></tr>`).join("");
        document.getElementById("no-jobs")?.remove();
        text(document.getElementById("jobs-updated"), "live · " + new Date().toLocaleTimeString());
      } catch (e) { text(document.getElementById("jobs-updated"), "reconnecting…"); }
    };
    // The server has just rendered the rows: the first refresh waits for the next tick (no second render of a long list at load).
    setInterval(refresh, 2000);
  }

  function clusterPage() {
    const body = document.querySelector("#nodes tbody");
    const gpus = document.querySelector("#gpus tbody");
    const slot = s => s.job === null
      ? `<li class="slot free" data-slot="${s.slot}">slot ${s.slot}: free</li>`
      : `<li class="slot busy" data-slot="${s.slot}" data-job="${esc(s.job)}">slot ${s.slot}: <a href="/console/jobs/${esc(s.job)}">${esc(s.job)}</a> rank ${s.rank}/${s.worldSize}</li>`;
    setInterval(async () => {
      try {
        const c = await getJson(`${api}/cluster`);
        body.innerHTML = c.nodes.map(n => `<tr data-node="${esc(n.address)}"><td>${esc(n.address)}</td><td>${esc(n.roles.join(", "))}</td>
          <td><span class="health ${esc(n.health)}">${esc(n.health)}</span></td>
          <td class="slots"><span class="busy">${n.busySlots}</span> busy / <span class="free">${Math.max(0, n.slots - n.busySlots)}</span> free
            <ul class="slot-list">${n.slotViews.map(slot).join("")}</ul></td>
          <td>${esc(n.devices.join(", "))}</td><td>${n.runningJobs.map(id => `<a href="/console/jobs/${esc(id)}">${esc(id)}</a>`).join(" ")}</td></tr>`).join("");
        text(document.getElementById("cluster-members"), `${c.members} (${c.healthyMembers} healthy)`);
        text(document.getElementById("cluster-jobs"), Object.entries(c.jobs).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(", "));
        document.getElementById("gpus").classList.toggle("hidden", c.gpus.length === 0);
        text(document.getElementById("gpus-absent"), c.gpusAbsent ? c.gpusAbsent + ": GPU utilization, memory, power and temperature are not shown." : "");
        gpus.innerHTML = c.gpus.map(g => `<tr data-gpu="${g.index}"><td>${g.index}</td><td>${esc(g.name)}</td><td>${g.utilizationPercent} %</td>
          <td>${g.memoryUsedGib} / ${g.memoryTotalGib} GiB</td><td>${g.powerWatts == null ? "n/a" : Math.round(g.powerWatts) + " W"}</td>
          <td>${g.temperatureCelsius == null ? "n/a" : g.temperatureCelsius + " °C"}</td></tr>`).join("");
      } catch (e) { /* next tick */ }
    }, 2000);
  }

  function jobPage() {
    const section = document.getElementById("job");
    if (!section) return;
    const id = section.dataset.job;
    const series = {};
    const charts = {};
    document.querySelectorAll(".chart").forEach(fig => {
      const key = fig.dataset.series;
      series[key] = { x: [], y: [] };
      charts[key] = new uPlot({
        width: Math.max(260, fig.clientWidth - 8), height: 160, legend: { show: false },
        scales: { x: { time: false } }, axes: [{}, { size: 64 }],
        series: [{ label: "step" }, { label: key, stroke: "#2563eb", width: 1.5, points: { show: false } }],
      }, [[], []], fig);
    });
    const add = (key, x, y) => {
      if (y === null || y === undefined || !series[key]) return;
      const s = series[key];
      s.x.push(x); s.y.push(y);
      charts[key].setData([s.x, s.y]);
      text(document.getElementById("points-" + key), `${s.x.length} points`);
    };
    let lastSeq = 0, state = section.dataset.state;
    const log = document.getElementById("log");
    const attempts = new Map();
    const attemptRow = n => {
      if (!attempts.has(n)) attempts.set(n, { where: "", end: "" });
      return attempts.get(n);
    };
    const drawAttempts = () => {
      document.querySelector("#attempts tbody").innerHTML = [...attempts.entries()].map(([n, a]) =>
        `<tr data-attempt="${n}"><td>${n}</td><td>${esc(a.where)}</td><td>${esc(a.end || (state === "running" ? "running" : ""))}</td></tr>`).join("");
    };
    const onEvent = e => {
      if (e.seq <= lastSeq) return; // never a point twice, whatever the transport did
      lastSeq = e.seq;
      const t = new Date(e.time).toISOString().slice(11, 19);
      switch (e.kind) {
        case "step":
          text(document.getElementById("job-step"), e.step);
          text(document.getElementById("job-max-steps"), e.maxSteps || "?");
          text(document.getElementById("job-eta"), "ETA " + eta(id, e.step, e.maxSteps, "running"));
          add("loss", e.step, e.loss); add("lr", e.step, e.lr); add("grad_norm", e.step, e.gradNorm); add("tokens_per_s", e.step, e.tokensPerSecond);
          break;
        case "eval": add("eval_loss", e.step, e.evalLoss); break;
        case "checkpoint": document.getElementById("checkpoints").insertAdjacentHTML("beforeend", `<li>step ${e.step}: <code>${esc(e.path)}</code></li>`); break;
        case "log": {
          let m;
          if ((m = /^attempt (\d+) ended: (.*)$/.exec(e.text))) { attemptRow(+m[1]).end = m[2]; drawAttempts(); }
          else if ((m = /^attempt (\d+): (.*)$/.exec(e.text))) { attemptRow(+m[1]).where = m[2]; drawAttempts(); }
          log.textContent += `${t} ${e.text}\n`;
          log.scrollTop = log.scrollHeight;
          break;
        }
        case "state": {
          state = e.state;
          section.dataset.state = state;
          const el = document.getElementById("job-state");
          el.textContent = state; el.className = "state " + state;
          text(document.getElementById("job-error-text"), e.error || "");
          log.textContent += `${t} state: ${state}${e.error ? " (" + e.error + ")" : ""}\n`;
          if (["succeeded", "failed", "cancelled"].includes(state)) document.getElementById("cancel-form")?.remove();
          if (state === "succeeded") document.getElementById("export")?.classList.remove("hidden");
          drawAttempts();
          break;
        }
      }
    };
    // EventSource reconnects by itself and sends Last-Event-ID: the server resumes after the last event seen. When the
    // browser gives up instead (the connection failed outright, e.g. the network went away), the page opens a new one
    // from the last sequence it drew (?after=), with a growing pause; either way no point is drawn twice (onEvent).
    let connections = 0, ended = false, retryMs = 1000;
    const connection = document.getElementById("job-connection");
    const connect = () => {
      connections++;
      const events = new EventSource(`${api}/jobs/${encodeURIComponent(id)}/events${lastSeq > 0 ? "?after=" + lastSeq : ""}`);
      events.onopen = () => { retryMs = 1000; text(connection, "live"); };
      events.onmessage = m => onEvent(JSON.parse(m.data));
      events.addEventListener("end", () => { ended = true; events.close(); text(connection, ""); });
      events.onerror = () => {
        if (ended) return;
        text(connection, "reconnecting…");
        if (events.readyState === EventSource.CLOSED) {
          setTimeout(connect, retryMs);
          retryMs = Math.min(retryMs * 2, 15000);
        }
      };
    };
    connect();
    // MFU and GPU memory are only in metrics.jsonl (GPU runs): read its new lines while the job is live.
    let offset = 0, lastResourceStep = 0;
    const resources = async () => {
      try {
        const r = await getJson(`${api}/jobs/${encodeURIComponent(id)}/resources?offset=${offset}`);
        if (r.next < offset) lastResourceStep = 0;
        offset = r.next;
        for (const row of r.rows) {
          if (row.step <= lastResourceStep) continue;
          lastResourceStep = row.step;
          add("mfu", row.step, row.mfu); add("gpu_mem_gib", row.step, row.gpuMemGib);
        }
      } catch (e) { /* next tick */ }
      if (!["succeeded", "failed", "cancelled"].includes(state)) setTimeout(resources, 3000);
    };
    resources();
    window.athanorConsole = {
      points: key => series[key]?.x.length ?? 0, lastSequence: () => lastSeq, values: key => series[key]?.y.slice() ?? [],
      steps: key => series[key]?.x.slice() ?? [], connections: () => connections,
    };
  }

  function submitPage() {
    const file = document.getElementById("yaml-file");
    file?.addEventListener("change", async () => {
      if (file.files.length) document.getElementById("yaml").value = await file.files[0].text();
    });
    document.getElementById("errors")?.scrollIntoView();
  }

  ({ jobs: jobsPage, job: jobPage, cluster: clusterPage, submit: submitPage }[page] ?? (() => {}))();
})();
