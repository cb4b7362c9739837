// bench: what `nox -s bench` drives, as fast as it goes (no think time): VUS virtual users for
// DURATION, each running the CRUD flow back to back; with FLOW=floor, `GET /health/live` instead
// (a route that does nothing: what the server itself costs per request). With FAULT_FROM_S and
// FAULT_UNTIL_S (seconds into the run), one more virtual user blocks a worker for that window
// (`GET /bench/block`: a synchronous sleep in a route only the bench's fault server has,
// stack/blocking.py), and the floor's requests that start in the window are counted apart:
// `fault_slow` (the share slower than 1 s) and `fault_duration`; `fault_blocked` says whether
// the block was served, for as long as the window.
import http from "k6/http";
import exec from "k6/execution";
import { Rate, Trend } from "k6/metrics";
import { BASE_URL, expectStatus } from "./lib/common.js";
import { crudFlow } from "./lib/flow.js";

const FLOOR = __ENV.FLOW === "floor";
const FAULT_FROM_MS = Math.round(Number(__ENV.FAULT_FROM_S || "NaN") * 1000);
const FAULT_UNTIL_MS = Math.round(Number(__ENV.FAULT_UNTIL_S || "NaN") * 1000);
const FAULT = Number.isFinite(FAULT_FROM_MS) && Number.isFinite(FAULT_UNTIL_MS);
const SLOW_MS = 1000;
const faultSlow = new Rate("fault_slow");
const faultDuration = new Trend("fault_duration", true);
const faultBlocked = new Rate("fault_blocked");

const load = {
  executor: "constant-vus",
  vus: Number(__ENV.VUS || "16"),
  duration: __ENV.DURATION || "10s",
};
// Started by k6 on the load's clock: the block covers the very window the requests are sorted by.
const fault = {
  executor: "per-vu-iterations",
  exec: "blockOneWorker",
  vus: 1,
  iterations: 1,
  startTime: `${FAULT_FROM_MS}ms`,
  maxDuration: `${FAULT_UNTIL_MS - FAULT_FROM_MS + 30000}ms`,
};

export const options = {
  scenarios: FAULT ? { load, fault } : { load },
  summaryTrendStats: ["avg", "min", "med", "max", "p(95)", "p(99)"],
};

export default function () {
  if (FLOOR) {
    const started = Date.now() - exec.scenario.startTime;
    const response = http.get(`${BASE_URL}/health/live`);
    expectStatus(response, 200, "live");
    if (FAULT && started >= FAULT_FROM_MS && started < FAULT_UNTIL_MS) {
      faultSlow.add(response.timings.duration > SLOW_MS);
      faultDuration.add(response.timings.duration);
    }
  } else {
    crudFlow();
  }
}

export function blockOneWorker() {
  const seconds = (FAULT_UNTIL_MS - FAULT_FROM_MS) / 1000;
  const response = http.get(`${BASE_URL}/bench/block?s=${seconds}`, {
    timeout: `${seconds + 30}s`,
    tags: { name: "block" },
  });
  faultBlocked.add(response.status === 200 && response.timings.duration >= seconds * 1000);
}
