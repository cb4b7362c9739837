// bench: what `nox -s bench` drives, as fast as it goes (no think time): VUS virtual users for
// DURATION, each running the CRUD flow back to back; with FLOW=floor, `GET /health/live` instead
// (a route that does nothing: what the server itself costs per request).
import http from "k6/http";
import { BASE_URL, expectStatus } from "./lib/common.js";
import { crudFlow } from "./lib/flow.js";

const FLOOR = __ENV.FLOW === "floor";

export const options = {
  vus: Number(__ENV.VUS || "16"),
  duration: __ENV.DURATION || "10s",
  summaryTrendStats: ["avg", "min", "med", "max", "p(95)", "p(99)"],
};

export default function () {
  if (FLOOR) {
    expectStatus(http.get(`${BASE_URL}/health/live`), 200, "live");
  } else {
    crudFlow();
  }
}
