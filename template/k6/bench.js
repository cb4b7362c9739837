// bench: what `nox -s bench` drives, as fast as it goes (no think time): VUS virtual users for
// DURATION, each running the CRUD flow back to back; with FLOW=floor, `GET /health/live` instead
// (a route that does nothing: what the server itself costs per request). With FAULT_FROM_S and
// FAULT_UNTIL_S (seconds into the run), the floor's requests that start in that window are also
// counted apart: `fault_slow` (the share slower than 1 s) and `fault_duration`.
import http from "k6/http";
import exec from "k6/execution";
import { Rate, Trend } from "k6/metrics";
import { BASE_URL, expectStatus } from "./lib/common.js";
import { crudFlow } from "./lib/flow.js";

const FLOOR = __ENV.FLOW === "floor";
const FAULT_FROM_MS = Number(__ENV.FAULT_FROM_S || "NaN") * 1000;
const FAULT_UNTIL_MS = Number(__ENV.FAULT_UNTIL_S || "NaN") * 1000;
const SLOW_MS = 1000;
const faultSlow = new Rate("fault_slow");
const faultDuration = new Trend("fault_duration", true);

export const options = {
  vus: Number(__ENV.VUS || "16"),
  duration: __ENV.DURATION || "10s",
  summaryTrendStats: ["avg", "min", "med", "max", "p(95)", "p(99)"],
};

export default function () {
  if (FLOOR) {
    const started = Date.now() - exec.scenario.startTime;
    const response = http.get(`${BASE_URL}/health/live`);
    expectStatus(response, 200, "live");
    if (started >= FAULT_FROM_MS && started < FAULT_UNTIL_MS) {
      faultSlow.add(response.timings.duration > SLOW_MS);
      faultDuration.add(response.timings.duration);
    }
  } else {
    crudFlow();
  }
}
