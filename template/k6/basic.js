// basic: reading the list under a small, steady load.
import { sleep } from "k6";
import http from "k6/http";
import { BASE_URL, expectStatus, params, seconds, thresholds } from "./lib/common.js";

export const options = {
  stages: [
    { duration: seconds(10), target: 5 },
    { duration: seconds(30), target: 5 },
    { duration: seconds(10), target: 0 },
  ],
  thresholds: thresholds(["list"]),
};

export default function () {
  expectStatus(http.get(`${BASE_URL}/items?limit=20`, params("list")), 200, "list");
  sleep(0.5);
}
