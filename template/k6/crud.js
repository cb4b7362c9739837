// crud: the full life of an item (create, get, update, delete) plus the list, as a smoke
// scenario and then under constant load.
import { sleep } from "k6";
import http from "k6/http";
import { Trend } from "k6/metrics";
import { BASE_URL, expectStatus, params, seconds, thresholds } from "./lib/common.js";

const createDuration = new Trend("custom_create_duration", true);

export const options = {
  scenarios: {
    smoke: {
      executor: "ramping-vus",
      startVUs: 0,
      stages: [
        { duration: seconds(5), target: 3 },
        { duration: seconds(5), target: 0 },
      ],
    },
    crud_load: {
      executor: "constant-vus",
      vus: 5,
      duration: seconds(30),
      startTime: seconds(10),
    },
  },
  thresholds: thresholds(["create", "get", "update", "delete", "list"]),
};

export default function () {
  const created = http.post(
    `${BASE_URL}/items`,
    JSON.stringify({ title: `load ${__VU}-${__ITER}`, description: "k6", status: "pending" }),
    params("create"),
  );
  createDuration.add(created.timings.duration);
  if (!expectStatus(created, 201, "create")) {
    return;
  }
  const url = `${BASE_URL}/items/${created.json("id")}`;

  expectStatus(http.get(url, params("get")), 200, "get");
  const update = JSON.stringify({ title: `done ${__VU}-${__ITER}`, status: "done" });
  expectStatus(http.put(url, update, params("update")), 200, "update");
  expectStatus(http.del(url, null, params("delete")), 204, "delete");
  expectStatus(http.get(`${BASE_URL}/items?limit=20`, params("list")), 200, "list");
  sleep(0.2);
}
