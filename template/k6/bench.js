// bench: the CRUD flow (create, get, update, delete, list) as fast as it goes, for `nox -s bench`.
// No think time: VUS virtual users for DURATION, each running the flow back to back.
import http from "k6/http";
import { BASE_URL, expectStatus, params } from "./lib/common.js";

export const options = {
  vus: Number(__ENV.VUS || "16"),
  duration: __ENV.DURATION || "20s",
  summaryTrendStats: ["avg", "min", "med", "max", "p(95)", "p(99)"],
};

export default function () {
  const created = http.post(
    `${BASE_URL}/items`,
    JSON.stringify({ title: `bench ${__VU}-${__ITER}`, description: "k6", status: "pending" }),
    params("create"),
  );
  if (!expectStatus(created, 201, "create")) {
    return;
  }
  const url = `${BASE_URL}/items/${created.json("id")}`;
  expectStatus(http.get(url, params("get")), 200, "get");
  const update = JSON.stringify({ title: "done", status: "done" });
  expectStatus(http.put(url, update, params("update")), 200, "update");
  expectStatus(http.del(url, null, params("delete")), 204, "delete");
  expectStatus(http.get(`${BASE_URL}/items?limit=20`, params("list")), 200, "list");
}
