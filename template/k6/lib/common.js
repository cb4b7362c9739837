// Shared by every scenario: where the API is, how to call it, what "good" means (the SLO file).
import { check } from "k6";

// open() resolves paths from this module's own folder.
export const SLO = JSON.parse(open("../slo.json"));

export const BASE_URL = (__ENV.API_BASE || "http://localhost:8000").replace(/\/+$/, "");

// Durations scale for CI: DURATION_SCALE=0.2 runs every stage at a fifth of its length.
const SCALE = Number(__ENV.DURATION_SCALE || "1");

export function seconds(value) {
  return `${Math.max(1, Math.round(value * SCALE))}s`;
}

export function headers() {
  const result = { "Content-Type": "application/json", Accept: "application/json" };
  if (__ENV.TOKEN) {
    result.Authorization = `Bearer ${__ENV.TOKEN}`;
  }
  return result;
}

// Every request is tagged with its operation (the `name` tag also groups /items/{id} URLs into
// one series), which is what the per-operation thresholds select.
export function params(operation) {
  return { headers: headers(), tags: { name: operation } };
}

// k6 thresholds for the given operations, every one of them read from the SLO file.
export function thresholds(operations) {
  const result = {
    http_req_failed: [`rate<${SLO.error_rate}`],
    checks: [`rate>${1 - SLO.error_rate}`],
  };
  for (const operation of operations) {
    const objective = SLO.operations[operation];
    result[`http_req_duration{name:${operation}}`] = [
      `p(95)<${objective.p95_ms}`,
      `p(99)<${objective.p99_ms}`,
    ];
  }
  return result;
}

export function expectStatus(response, status, what) {
  return check(response, { [`${what}: ${status}`]: (r) => r.status === status });
}
