// stress: ramp well past the usual load to see where latency bends; the same objectives apply.
import http from "k6/http";
import { BASE_URL, expectStatus, params, seconds, thresholds } from "./lib/common.js";

export const options = {
  stages: [
    { duration: seconds(20), target: 30 },
    { duration: seconds(30), target: 30 },
    { duration: seconds(10), target: 0 },
  ],
  thresholds: thresholds(["list"]),
};

export default function () {
  expectStatus(http.get(`${BASE_URL}/items?limit=5`, params("list")), 200, "list");
}
